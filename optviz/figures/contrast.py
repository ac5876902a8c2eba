"""WCAG 2.x relative luminance and contrast ratio, for colours and for whole screenshots.

- ``luminance(rgb)``: ``0.2126 R + 0.7152 G + 0.0722 B`` of the linearised sRGB channels, where a
  channel ``c`` in [0, 1] linearises as ``c / 12.92`` if ``c <= 0.04045`` else ``((c + 0.055) / 1.055) ** 2.4``.
- ``contrast_ratio(a, b)``: ``(L_lighter + 0.05) / (L_darker + 0.05)``, from 1 (same) to 21 (black on white).

Both take ``"#rrggbb"`` strings, 0–255 triples, or uint8 arrays ``(..., 3)`` (pixels of a PNG), and
broadcast like NumPy. Reference: https://www.w3.org/TR/WCAG21/#dfn-relative-luminance
"""
from __future__ import annotations

import numpy as np


def _channels(rgb) -> np.ndarray:
    """``"#rrggbb"`` / ``(r, g, b)`` / array ``(..., 3 or 4)`` of 0–255 -> float array ``(..., 3)`` in [0, 1]."""
    if isinstance(rgb, str):
        code = rgb.lstrip("#")
        if len(code) != 6:
            raise ValueError(f"expected a colour as '#rrggbb' (got {rgb!r})")
        rgb = [int(code[i: i + 2], 16) for i in (0, 2, 4)]
    values = np.asarray(rgb, dtype=float)
    if values.shape[-1] not in (3, 4):
        raise ValueError(f"expected RGB values in the last axis (got shape {values.shape})")
    return values[..., :3] / 255.0


def luminance(rgb) -> float | np.ndarray:
    """WCAG relative luminance in [0, 1]: 0 for black, 1 for white (a float for one colour)."""
    c = _channels(rgb)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    out = linear @ np.array([0.2126, 0.7152, 0.0722])
    return float(out) if np.ndim(out) == 0 else out


def contrast_ratio(a, b) -> float | np.ndarray:
    """WCAG contrast ratio of two colours (or arrays of pixels), in [1, 21], order free."""
    la, lb = np.asarray(luminance(a)), np.asarray(luminance(b))
    out = (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)
    return float(out) if np.ndim(out) == 0 else out


__all__ = ["contrast_ratio", "luminance"]
