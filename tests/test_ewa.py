"""Exponentially weighted averages: hand-derived values, bias correction, smoothing versus lag.

Expected numbers come from unrolling $v_t = \\beta v_{t-1} + (1-\\beta)\\theta_t$ by hand (in the
comments), never from running the code under test on the same input.
"""
from __future__ import annotations

import numpy as np
import pytest

from optviz.classroom.ewa import MAX_DAYS, ewa, temperatures, weights, window
from optviz.i18n import CATALOG as STRINGS
from optviz.figures.classroom import ewa_figure

THETA = np.array([10.0, 14.0, 8.0, 12.0])


def test_first_values_by_hand():
    # β = 0.9: v1 = 0.1·10 = 1, v2 = 0.9·1 + 0.1·14 = 2.3, v3 = 0.9·2.3 + 0.1·8 = 2.87
    v = ewa(THETA, 0.9)
    np.testing.assert_allclose(v[:3], [1.0, 2.3, 2.87], rtol=1e-14)
    # v2 = β(1−β)θ1 + (1−β)θ2 for any β: β = 0.6 → 0.6·0.4·10 + 0.4·14 = 2.4 + 5.6 = 8
    np.testing.assert_allclose(ewa(THETA, 0.6)[1], 8.0, rtol=1e-14)


def test_first_values_bias_corrected_by_hand():
    # corrected: v̂1 = v1/(1−β) = θ1 exactly; v̂2 = v2/(1−β²) = 2.3/0.19 = 12.105263...
    v = ewa(THETA, 0.9, bias_correction=True)
    assert v[0] == THETA[0]
    np.testing.assert_allclose(v[1], 2.3 / 0.19, rtol=1e-14)
    # v̂2 is the weighted mean (0.9·10 + 1·14)/1.9 of θ1, θ2 with weights β, 1
    np.testing.assert_allclose(v[1], (0.9 * 10 + 14) / 1.9, rtol=1e-14)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.98, 0.999])
def test_constant_series_corrected_is_exact_and_plain_is_biased(beta):
    c, T = 21.5, 200
    series = np.full(T, c)
    np.testing.assert_array_equal(ewa(series, beta, bias_correction=True), series)  # an unbiased mean of c's is c
    t = np.arange(1, T + 1)
    np.testing.assert_allclose(ewa(series, beta), c * (1 - beta**t), rtol=1e-12, atol=1e-13)


def test_corrected_equals_plain_divided_by_one_minus_beta_t():
    series = temperatures(365, seed=3)
    t = np.arange(1, 366)
    for beta in (0.5, 0.9, 0.98):
        np.testing.assert_allclose(ewa(series, beta, bias_correction=True), ewa(series, beta) / (1 - beta**t),
                                   rtol=1e-12)


def test_vector_of_betas_equals_one_at_a_time():
    series = temperatures(60, seed=1)
    betas = np.array([0.5, 0.9, 0.98])
    for corrected in (False, True):
        together = ewa(series, betas, corrected)
        assert together.shape == (3, 60)
        for k, beta in enumerate(betas):
            np.testing.assert_array_equal(together[k], ewa(series, beta, corrected))


def test_weights_sum_and_window():
    # the weights of θ_1..θ_t in v_t sum to 1 − β^t (corrected: to 1); v_t is their weighted sum
    series = temperatures(40, seed=2)
    for beta in (0.5, 0.9):
        w = weights(beta, 40)
        np.testing.assert_allclose(w.sum(), 1 - beta**40, rtol=1e-12)
        np.testing.assert_allclose(w @ series, ewa(series, beta)[-1], rtol=1e-12)
        np.testing.assert_allclose(weights(beta, 40, bias_correction=True).sum(), 1.0, rtol=1e-12)
    assert window(0.9) == pytest.approx(10.0) and window(0.98) == pytest.approx(50.0)
    # a day 1/(1−β) back weighs β^(1/(1−β)) ≈ 1/e of today (0.98^50 = 0.364, 1/e = 0.368)
    w = weights(0.98, 100)
    assert w[-51] / w[-1] == pytest.approx(np.exp(-1), rel=0.02)


def _total_variation(v):
    return float(np.abs(np.diff(v)).sum())


def test_larger_beta_is_smoother():
    series = temperatures(365, seed=0)
    for corrected in (False, True):
        tv = [_total_variation(ewa(series, beta, corrected)[20:]) for beta in (0.0, 0.5, 0.9, 0.98)]
        assert tv[0] == pytest.approx(_total_variation(series[20:]))  # β = 0 is the series itself
        assert tv[0] > tv[1] > tv[2] > tv[3]


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.95])
def test_ramp_lag_is_beta_over_one_minus_beta(beta):
    # θ_t = t. Try v_t = t − L: t − L = β(t − 1 − L) + (1 − β)t  ⇒  L(1 − β) = β  ⇒  L = β/(1 − β).
    # The error e_t = v_t − (t − L) obeys e_t = β e_{t−1} with e_0 = 0 − (0 − L) = L,
    # so exactly v_t = t − L(1 − β^t): the lag t − v_t rises to β/(1 − β).
    T = 1000  # long enough that β^T is below double precision: the steady state
    t = np.arange(1, T + 1, dtype=float)
    lag = t - ewa(t, beta)
    L = beta / (1 - beta)
    np.testing.assert_allclose(lag, L * (1 - beta**t), rtol=1e-10, atol=1e-10)
    assert lag[-1] == pytest.approx(L, rel=1e-10)


def test_larger_beta_lags_more_on_a_ramp():
    # steady-state lags β/(1 − β): 0.5/0.5 = 1, 0.9/0.1 = 9, 0.95/0.05 = 19 days
    t = np.arange(1.0, 1001.0)
    lags = [t[-1] - ewa(t, beta)[-1] for beta in (0.5, 0.9, 0.95)]
    np.testing.assert_allclose(lags, [1.0, 9.0, 19.0], rtol=1e-9)


def test_temperatures_are_seeded_and_seasonal():
    a, b = temperatures(365, seed=7), temperatures(365, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, temperatures(365, seed=8))
    np.testing.assert_array_equal(temperatures(30, seed=7), a[:30])  # a shorter year is a prefix
    assert a.shape == (365,) and temperatures().shape == (30,)
    winter, summer = a[:45].mean(), a[170:230].mean()  # January–mid-February versus mid-June–mid-August
    assert summer - winter > 10
    assert -15 < a.min() and a.max() < 35


@pytest.mark.parametrize("bad", [0, MAX_DAYS + 1, 2.5, True])
def test_temperatures_reject_bad_days(bad):
    with pytest.raises(ValueError, match="days"):
        temperatures(bad)
    assert temperatures(MAX_DAYS).shape == (365,)


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5, [0.5, 1.0]])
def test_ewa_rejects_bad_beta(bad):
    with pytest.raises(ValueError, match="beta"):
        ewa(THETA, bad)


def test_ewa_figure_traces_band_and_text():
    series = temperatures(100, seed=0)
    fig = ewa_figure(series, [0.9, 0.98], bias_correction=False, lang="en")
    names = [tr.name for tr in fig.data]
    assert names == ["daily temperature", "EWA, β = 0.9", "EWA, β = 0.98"]
    np.testing.assert_allclose(np.asarray(fig.data[1].y), ewa(series, 0.9))
    shapes = fig.layout.shapes
    assert len(shapes) == 2
    assert shapes[0].x1 == pytest.approx(100.5) and shapes[0].x0 == pytest.approx(100.5 - 10)
    assert shapes[1].x0 == pytest.approx(100.5 - 50)
    texts = [a.text for a in fig.layout.annotations]
    assert texts == ["≈ 10 days (β = 0.9)", "≈ 50 days (β = 0.98)"]


def test_ewa_figure_with_correction_in_chinese():
    series = temperatures(30, seed=0)
    fig = ewa_figure(series, [0.98], bias_correction=True, lang="zh")
    assert len(fig.data) == 3  # dots, uncorrected, corrected
    np.testing.assert_allclose(np.asarray(fig.data[2].y), ewa(series, 0.98, bias_correction=True))
    assert fig.data[2].y[0] == series[0]
    assert fig.layout.annotations[0].text == "≈ 50 天（β = 0.98）"
    assert fig.layout.shapes[0].x0 == pytest.approx(0.5)  # the window is longer than the series: clipped


def test_strings_have_both_languages():
    for key, entry in STRINGS.items():
        assert set(entry) == {"en", "zh"} and all(entry.values()), key
