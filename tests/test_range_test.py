"""Smith's learning-rate range test: the schedule, the reading, and the suggestion against a sweep's best lr."""
import numpy as np
import pytest

from optviz.classroom.range_test import ExponentialGrowth, best_constant_lr, moving_average, range_test
from surfaces import get_surface


def test_lr_grows_from_lr_min_to_lr_max_and_the_run_is_plain_gd_with_those_rates():
    s = get_surface("ravine", condition=20.0, angle=0.0)
    result = range_test(s, "sgd", (-2.5, 0.5), 1e-3, 1.0, 50)
    assert result.lrs[0] == pytest.approx(1e-3, rel=1e-14) and result.lrs[-1] == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(result.lrs[1:] / result.lrs[:-1], 1000 ** (1 / 49), rtol=1e-12)
    # an independent loop: θ ← θ − η_t ∇f(θ) with ∇f = (x, 20y)
    theta, losses = np.array([-2.5, 0.5]), []
    for eta in result.lrs:
        theta = theta - eta * np.array([theta[0], 20 * theta[1]])
        losses.append(0.5 * (theta[0] ** 2 + 20 * theta[1] ** 2))
    losses = np.array(losses)
    valid = result.diverged_at - 1 if result.diverged_at > 0 else len(losses)
    # the same arithmetic in the same order up to the lr's rounding: 1e-12 relative
    np.testing.assert_allclose(result.loss[:valid], losses[:valid], rtol=1e-12)
    assert ExponentialGrowth(2.0)(3) == 8.0


def test_moving_average_keeps_a_straight_line_and_averages_the_middle():
    line = 3.0 * np.arange(9) - 2.0
    np.testing.assert_allclose(moving_average(line, 5), line, rtol=1e-15, atol=1e-14)  # symmetric windows
    assert moving_average(np.array([0.0, 0.0, 5.0, 0.0, 0.0]), 5)[2] == pytest.approx(1.0)


def test_reading_stops_before_the_blow_up():
    s = get_surface("ravine", condition=20.0, angle=0.0)
    result = range_test(s, "sgd", (-2.5, 0.5), steps=200)
    assert 0 < result.stop < 200 and np.isnan(result.slope[result.stop:]).all()
    # the lowest loss read is at a rate above 2/λ_max = 0.1: an unstable rate takes time to show
    assert result.lowest_lr > 0.1
    assert result.suggested_lr == pytest.approx(result.lowest_lr / 10, rel=1e-15)


@pytest.mark.parametrize("kappa, angle", [(10.0, 0.0), (20.0, 0.0), (20.0, 30.0), (100.0, 0.0), (100.0, 30.0)])
@pytest.mark.parametrize("steps", [100, 200])
def test_suggestion_is_within_a_factor_3_of_the_best_constant_lr(kappa, angle, steps):
    """The lesson's claim. Measured ratios suggestion / best on these ravines: 0.44 to 0.78 (the factor 3
    holds with room; at κ = 5 and 500 steps it falls to 0.19, which is why that case is not claimed)."""
    s = get_surface("ravine", condition=kappa, angle=angle)
    suggestion = range_test(s, "sgd", (-2.5, 0.5), 1e-4, 10.0, steps).suggested_lr
    best, lrs, final = best_constant_lr(s, "sgd", (-2.5, 0.5), np.geomspace(1e-4, 10.0, 61), steps)
    assert np.isfinite(final).any()
    assert 1 / 3 <= suggestion / best <= 3


def test_steepest_point_of_the_raw_loss_tracks_the_ramp_not_the_surface():
    """Why the suggestion is not the steepest point (module docstring): on the raw loss it moves with the
    ramp's length, measured 0.053 at 100 steps and 0.00082 at 400 on this ravine (best constant ≈ 0.07)."""
    s = get_surface("ravine", condition=20.0, angle=0.0)
    short = range_test(s, "sgd", (-2.5, 0.5), steps=100, log_loss=False).steepest_lr
    long = range_test(s, "sgd", (-2.5, 0.5), steps=400, log_loss=False).steepest_lr
    assert long < short / 10


def test_bad_ranges_are_refused():
    s = get_surface("quadratic")
    with pytest.raises(ValueError, match="lr_min"):
        range_test(s, lr_min=1.0, lr_max=0.1)
    with pytest.raises(ValueError, match="window"):
        range_test(s, window=4)
