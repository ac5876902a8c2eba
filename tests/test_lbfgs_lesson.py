"""L-BFGS against Adam on Rosenbrock: the lesson's claim, its counts re-derived by separate simulations."""
from __future__ import annotations

import pytest

from optviz.classroom.lbfgs_lesson import GAP, lbfgs_versus_adam
from optviz.optimizers import make_optimizer
from optviz.optimizers.hyperparameters import LR_LADDER
from optviz.simulate import simulate
from surfaces import get_surface

RESULT = lbfgs_versus_adam()
ROSENBROCK = get_surface("rosenbrock")


def test_tens_of_steps_against_hundreds():
    assert RESULT["gap"] == GAP and RESULT["start"] == (-1.2, 1.0)
    for convention in ("pytorch", "textbook"):
        assert 10 <= RESULT["lbfgs"][convention]["steps"] < 100, convention  # tens
    assert 100 <= RESULT["adam"]["steps"] < 1000  # hundreds, at Adam's best rate
    assert RESULT["ratio"] >= 5


def _steps(optimizer, steps):
    return int(simulate(ROSENBROCK, optimizer, ROSENBROCK.start, steps, tol=0).steps_to_reach(GAP)[0])


def test_adams_rate_is_the_best_of_the_ladder_nearby():
    # the lesson ran all rates as one batch; here the best rate and its ladder neighbours run alone
    best = LR_LADDER.index(RESULT["adam"]["lr"])
    assert _steps(make_optimizer("adam", lr=LR_LADDER[best]), 2000) == RESULT["adam"]["steps"]
    for neighbour in (best - 1, best + 1):
        steps = _steps(make_optimizer("adam", lr=LR_LADDER[neighbour]), 2000)
        assert steps == -1 or steps >= RESULT["adam"]["steps"]
    assert RESULT["adam"]["evaluations"] == RESULT["adam"]["steps"]  # one gradient a step


@pytest.mark.parametrize("convention", ["pytorch", "textbook"])
def test_lbfgs_counts_follow_their_definition(convention):
    traj = simulate(ROSENBROCK, make_optimizer("lbfgs", convention=convention), ROSENBROCK.start, 120, tol=0)
    steps = RESULT["lbfgs"][convention]["steps"]
    assert traj.loss[steps, 0] <= GAP < traj.loss[: steps, 0].min()  # the first step within the gap
    evaluations = RESULT["lbfgs"][convention]["evaluations"]
    if convention == "pytorch":
        assert evaluations == steps  # no line search: only the gradient at θ_{t−1}
    else:
        assert evaluations > steps  # the search evaluates f and ∇f again along the way


@pytest.mark.parametrize("bad,match", [(dict(gap=0.0), "gap"), (dict(gap=float("nan")), "gap"),
                                       (dict(adam_steps=0), "adam_steps"), (dict(lbfgs_steps=2.5), "lbfgs_steps")])
def test_bad_input_is_refused_with_a_message(bad, match):
    with pytest.raises(ValueError, match=match):
        lbfgs_versus_adam(**bad)
