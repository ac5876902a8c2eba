"""Race configs, learning-rate tuning and the controls' value ladders."""
import numpy as np
import pytest

from optviz import controls
from optviz.race import OptimizerConfig, RaceConfig, run_race, unique_labels, validate
from optviz.tuning import LR_GRID, best_learning_rate, classroom_learning_rate, learning_rate_scores
from surfaces import get_surface

QUAD = get_surface("quadratic")


def test_config_is_hashable_and_builds_the_same_run():
    a = RaceConfig(surface="quadratic", start=(1.0, 1.0), steps=5,
                   optimizers=(OptimizerConfig("sgd").with_values(lr=0.1),))
    b = RaceConfig(surface="quadratic", start=(1.0, 1.0), steps=5,
                   optimizers=(OptimizerConfig("sgd", hyperparams=(("lr", 0.1),)),))
    assert a == b and hash(a) == hash(b)
    np.testing.assert_allclose(run_race(a).positions[:, 0, 0], 0.8 ** np.arange(6))


def test_duplicate_contestants_are_told_apart():
    configs = (OptimizerConfig("adam"), OptimizerConfig("adam").with_values(lr=0.1), OptimizerConfig("sgd"))
    assert unique_labels(configs) == ["Adam", "Adam (2)", "SGD"]


def test_schedule_text_reaches_the_optimizer():
    # step decay every 2 steps by 0.5 on x²: factors (1 − 2·0.1·m) with m = 1, 1, 0.5, 0.5
    config = RaceConfig(surface="quadratic", start=(1.0, 0.0), steps=4, optimizers=(
        OptimizerConfig("sgd", schedule="step:2:0.5").with_values(lr=0.1),))
    np.testing.assert_allclose(run_race(config).positions[-1, 0, 0], 0.8 * 0.8 * 0.9 * 0.9)


@pytest.mark.parametrize("bad, word", [
    (RaceConfig(optimizers=()), "optimizer"),
    (RaceConfig(steps=0, optimizers=(OptimizerConfig("sgd"),)), "steps"),
    (RaceConfig(surface="nope", optimizers=(OptimizerConfig("sgd"),)), "nope"),
    (RaceConfig(surface="ravine", surface_params=(("condition", 1e9),), optimizers=(OptimizerConfig("sgd"),)),
     "condition"),
    (RaceConfig(start=(np.nan, 0.0), optimizers=(OptimizerConfig("sgd"),)), "start"),
    (RaceConfig(optimizers=(OptimizerConfig("sgd").with_values(lr=-1),)), "lr"),
    (RaceConfig(optimizers=(OptimizerConfig("adam", schedule="step:0:0.5"),)), "step"),
])
def test_validate_names_the_bad_value(bad, word):
    with pytest.raises(ValueError, match=word):
        validate(bad)


def test_tuning_respects_the_stability_bound():
    # GD on x² + y² (L = 2) converges for lr < 1 and diverges above; the best grid lr must be < 1,
    # and every lr above 1 must score +inf (diverged).
    scores = learning_rate_scores(QUAD, "sgd", (1.5, 1.0), 200)
    assert np.all(np.isinf(scores[LR_GRID > 1.0]))
    assert best_learning_rate(QUAD, "sgd", (1.5, 1.0), 200) < 1.0


def test_tuning_returns_none_when_everything_diverges():
    grid = np.array([5.0, 10.0])
    assert best_learning_rate(QUAD, "sgd", (1.5, 1.0), 50, grid=grid) is None


def test_classroom_rate_is_capped_for_step_sized_methods():
    rosen = get_surface("rosenbrock")  # plot extent 4
    assert classroom_learning_rate(rosen, "adam", rosen.start, 300) <= 0.01 * 4
    assert classroom_learning_rate(rosen, "adadelta", rosen.start, 300) == 1.0  # needs no lr


def test_ladders_span_the_documented_ranges():
    assert controls.LR_CHOICES[0] == 1e-5 and controls.LR_CHOICES[-1] == 10.0
    assert controls.EPS_CHOICES[1] == 1e-16 and controls.EPS_CHOICES[-1] == 1.0  # AdaBelief's default is a notch
    assert max(controls.BETA_CHOICES) < 1.0 and 0.9 in controls.BETA_CHOICES and 0.999 in controls.BETA_CHOICES
    assert all(np.diff(controls.LR_CHOICES) > 0)


@pytest.mark.parametrize("name, value, expected", [
    ("lr", 0.0101, 0.01), ("lr", 1e-9, 1e-5), ("lr", 1e6, 10.0), ("beta", 0.93, 0.95), ("eps", 0.0, 0.0),
    ("eps", 2e-8, 3.2e-8),
])
def test_snap(name, value, expected):
    assert controls.snap(name, value) == expected


def test_slots_and_schedule_text():
    assert controls.duplicate_slot("adam", ["adam", "adam~2"]) == "adam~3"
    assert controls.optimizer_of("adam~3") == "adam"
    assert [controls.format_number(v) for v in (0.0, 1e-5, 0.0025, 0.9995, 10.0)] == ["0", "1e-5", "0.0025",
                                                                                     "0.9995", "10"]
