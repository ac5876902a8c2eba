"""The contour picture's colours and colour bar: WCAG contrast, casing, labels worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from optviz.figures.contour_image import (LEVELS, REFERENCE, ContourField, band_colors, colour_bar, contour_field,
                                          edge_color)
from optviz.figures.contrast import contrast_ratio, luminance
from optviz.figures.palette import CASING_DARK, CASING_LIGHT, PATH_COLORS
from surfaces import get_surface
from surfaces.base import Surface


def test_contrast_helpers_follow_wcag():
    # WCAG's own anchors: black 0, white 1, 21:1 between them; #767676 is the lightest grey with
    # 4.5:1 on white (4.54), #777777 just fails (4.48). Two decimals: the published figures are rounded.
    assert luminance("#000000") == 0.0 and luminance((255, 255, 255)) == pytest.approx(1.0, abs=1e-12)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0, abs=1e-9)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#ffffff", "#777777") == pytest.approx(4.48, abs=0.005)
    pixels = np.array([[[0, 0, 0], [255, 255, 255]]], dtype=np.uint8)  # (1, 2, 3) like a crop of a PNG
    assert np.allclose(luminance(pixels), [[0.0, 1.0]]) and np.allclose(contrast_ratio(pixels, "#000000"), [[1, 21]])


def test_band_colours_run_light_to_dark_with_ends_7_to_1():
    bands = band_colors()  # lowest loss first
    lum = luminance(bands)
    assert bands.shape == (LEVELS + 1, 3)
    assert np.all(np.diff(lum) < 0)  # every band darker than the one below it: the order reads as height
    assert contrast_ratio(bands[0], bands[-1]) >= 7.0  # the issue's bar; the map is 12.6:1 (cividis' ends)


def test_every_band_and_edge_has_a_casing_colour_at_3_to_1_and_edges_show():
    bands = band_colors().astype(float)
    edges = edge_color(bands).round()
    for colour in np.concatenate([bands, edges]):
        assert max(contrast_ratio(CASING_DARK, colour), contrast_ratio(CASING_LIGHT, colour)) >= 3.0, colour
    # an edge differs from its band by at least 1.8:1 (1.90 at the band where light edges turn dark)
    assert np.all(contrast_ratio(bands, edges) >= 1.8)
    assert len(set(PATH_COLORS)) == len(PATH_COLORS) == 8  # Okabe–Ito's eight


def test_colour_bar_of_a_hand_made_field():
    # lo 0, hi 2, floor 1, δ 1: the loss at height v is 10**v − 1 + 1 = 10**v, at v = 0, 0.4, …, 2
    field = ContourField(np.zeros((1, 1, 3), np.uint8), lo=0.0, hi=2.0, floor=1.0, delta=1.0)
    ticks = colour_bar(field)
    assert [label for _, label in ticks] == ["1", "2.51", "6.31", "15.8", "39.8", "100"]
    # fractions from linspace: 0.6 comes out as 0.6000000000000001, so compare to 1e-12
    assert [s for s, _ in ticks] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], abs=1e-12)
    assert [label for _, label in colour_bar(field, count=3)] == ["1", "10", "100"]
    # floor 0 and lo = log10(δ): the bottom loss is δ − δ + 0, rounding noise at most, and reads 0
    zero = ContourField(field.rgb, lo=math.log10(0.003), hi=1.0, floor=0.0, delta=0.003)
    assert colour_bar(zero)[0] == (0.0, "0") and colour_bar(zero)[-1] == (1.0, "10")
    with pytest.raises(ValueError, match="count"):
        colour_bar(field, count=1)


def _ramp() -> Surface:
    """f(x, y) = x on [0, 512] × [0, 1], no known minimum."""
    return Surface(name="ramp", value=lambda p: np.asarray(p, float)[..., 0] * 1.0,
                   grad=lambda p: np.zeros_like(np.asarray(p, float)), hessian=lambda p: np.zeros((*np.shape(p), 2)),
                   bounds=((0.0, 512.0), (0.0, 1.0)), start=(1.0, 0.5), formula="x", description={})


def test_colour_bar_of_a_surface_worked_out_by_hand():
    # The reference grid has REFERENCE = 256 columns on [0, 512]: centres x = 2i + 1, i = 0..255.
    # floor = 1 (the least value); median 256, so spread 255 and δ = 0.255; heights log10(2i + 0.255).
    # lo = log10(0.255) (i = 0). hi = the 99th percentile of 256 × 256 values: position 0.99 · 65535
    # = 64879.65 lies in the 256 copies of i = 253, so hi = log10(506.255) exactly.
    # Label at s: 0.255 · (506.255 / 0.255)**s − 0.255 + 1.
    assert REFERENCE == 256
    field = contour_field(_ramp(), 64, 8)
    assert field.floor == 1.0 and field.delta == pytest.approx(0.255, rel=1e-12)
    assert field.lo == pytest.approx(math.log10(0.255), abs=1e-12)
    assert field.hi == pytest.approx(math.log10(506.255), abs=1e-12)
    expected = [f"{0.255 * (506.255 / 0.255) ** s + 0.745:.3g}" for s in (0, 0.2, 0.4, 0.6, 0.8, 1)]
    # by hand: 1985.3**0.2 = e**(7.5935 · 0.2) = 4.566, so 0.255 · 4.566 + 0.745 = 1.909; and so on
    assert expected == ["1", "1.91", "6.06", "25", "112", "507"]
    assert [label for _, label in colour_bar(field)] == expected


def test_the_colour_bar_reads_the_same_at_any_picture_size():
    surface = get_surface("rosenbrock")
    small, large = contour_field(surface, 90, 70), contour_field(surface, 1000, 800)
    assert colour_bar(small) == colour_bar(large)
    assert small.rgb.shape == (70, 90, 3) and large.rgb.shape == (800, 1000, 3)
