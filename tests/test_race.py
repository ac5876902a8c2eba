"""A race builds its surface and optimizers once, checks them against ``optviz.limits``, and names
its contestants apart."""
from dataclasses import replace

import pytest

import optviz.race as race
from optviz.limits import BOUND_RANGE, MAX_EXPRESSION, MAX_LABEL, MAX_OPTIMIZERS, RACE_STEPS, SEEDS
from optviz.race import OptimizerConfig, RaceConfig, run_race, unique_labels, validate
from optviz.share import natural_label

TYPED = RaceConfig(surface="custom", expression="x^2 + 3*sin(y)", steps=5,
                   optimizers=(OptimizerConfig("sgd"), OptimizerConfig("adam"), OptimizerConfig("sgd")))


def test_a_race_builds_each_thing_once(monkeypatch):
    built = {"surfaces": 0, "optimizers": 0}

    def counting(kind, function):
        def call(*args, **kwargs):
            built[kind] += 1
            return function(*args, **kwargs)
        return call

    monkeypatch.setattr(race, "custom_surface", counting("surfaces", race.custom_surface))
    monkeypatch.setattr(race, "make_optimizer", counting("optimizers", race.make_optimizer))
    traj = run_race(TYPED)
    assert built == {"surfaces": 1, "optimizers": 3}  # a typed surface is differentiated once
    assert traj.labels == ("SGD", "Adam", "SGD (2)")


@pytest.mark.parametrize("change, word", [
    (dict(steps=RACE_STEPS[1] + 1), f"steps must be a whole number in [1, {RACE_STEPS[1]}]"),
    (dict(optimizers=(OptimizerConfig("sgd"),) * (MAX_OPTIMIZERS + 1)), f"at most {MAX_OPTIMIZERS} optimizers"),
    (dict(optimizers=(OptimizerConfig("sgd", seed=SEEDS[1] + 1),)), "seed must be a whole number"),
    (dict(optimizers=(OptimizerConfig("sgd", label="x" * (MAX_LABEL + 1)),)), f"at most {MAX_LABEL} characters"),
    (dict(optimizers=(OptimizerConfig("sgd", label="<b>"),)), "a label may hold"),
    (dict(bounds=((-BOUND_RANGE - 1, 3.0), (-3.0, 3.0))), f"x bounds must be within ±{BOUND_RANGE:g}"),
    (dict(expression="x" + " + y" * (MAX_EXPRESSION // 4)), f"at most {MAX_EXPRESSION} characters"),
])
def test_a_race_is_at_most_what_the_app_can_show(change, word):
    with pytest.raises(ValueError) as caught:
        validate(replace(TYPED, **change))
    assert word in str(caught.value)


def test_the_largest_race_runs():
    validate(replace(TYPED, steps=RACE_STEPS[1], optimizers=(OptimizerConfig("sgd", seed=SEEDS[1]),) * MAX_OPTIMIZERS,
                     bounds=((-BOUND_RANGE, 10 - BOUND_RANGE), (BOUND_RANGE - 10, BOUND_RANGE))))


def test_labels_tell_contestants_apart_and_agree_with_the_links():
    configs = (OptimizerConfig("adam"), OptimizerConfig("adam", "mine"), OptimizerConfig("adam"),
               OptimizerConfig("sgd", "mine"), OptimizerConfig("adam", "Adam"))
    assert unique_labels(configs) == ["Adam", "mine", "Adam (2)", "mine (2)", "Adam (3)"]
    # a link's natural labels are the race's for contestants without labels of their own
    assert [natural_label("adam", k) for k in (1, 2, 3)] == unique_labels((OptimizerConfig("adam"),) * 3)
