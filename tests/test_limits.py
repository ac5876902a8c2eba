"""One set of limits: a link, a race config and the command line accept the same largest value and
refuse the next one (``optviz.limits``)."""
from dataclasses import replace

import pytest

from optviz.cli import main
from optviz.limits import BOUND_RANGE, MAX_EXPRESSION, MAX_LABEL, MAX_OPTIMIZERS, RACE_STEPS, SEEDS
from optviz.optimizer_spec import SpecError, parse
from optviz.race import OptimizerConfig, RaceConfig, validate
from optviz.share import AppState, decode

DEFAULTS = AppState(RaceConfig(surface="quadratic", steps=10, optimizers=(OptimizerConfig("sgd"),)))


def link_accepts(query: dict[str, str]) -> bool:
    _, notices = decode(query, DEFAULTS)
    return not notices


def race_accepts(config: RaceConfig) -> bool:
    try:
        validate(config)
    except ValueError:
        return False
    return True


def spec_accepts(spec: str) -> bool:
    try:
        parse(spec)
    except SpecError:
        return False
    return True


def cli_accepts(capsys, tmp_path, *argv: str, steps: int = 2) -> bool:
    code = main(["render", "--surface", "quadratic", "--steps", str(steps), *argv, "--out", str(tmp_path / "race.csv")])
    capsys.readouterr()
    return code == 0


def sgd(**fields) -> RaceConfig:
    return replace(DEFAULTS.config, optimizers=(OptimizerConfig("sgd", **fields),))


def typed(expression: str, bound: float = 3.0) -> RaceConfig:
    return RaceConfig(surface="custom", expression=expression, bounds=((bound - 10, bound), (-3.0, 3.0)), steps=2,
                      optimizers=(OptimizerConfig("sgd"),))


@pytest.mark.parametrize("edge", [0, 1], ids=["at the limit", "past it"])
def test_steps(capsys, tmp_path, edge):
    n = RACE_STEPS[1] + edge
    accepted = [link_accepts({"n": str(n)}), race_accepts(replace(DEFAULTS.config, steps=n)),
                cli_accepts(capsys, tmp_path, "--optimizer", "sgd", steps=n)]
    assert accepted == [edge == 0] * 3


@pytest.mark.parametrize("edge", [0, 1], ids=["at the limit", "past it"])
def test_seeds(capsys, tmp_path, edge):
    seed = SEEDS[1] + edge
    accepted = [link_accepts({"o": "sgd", "o1.seed": str(seed)}), race_accepts(sgd(seed=seed)),
                spec_accepts(f"sgd:seed={seed}"), cli_accepts(capsys, tmp_path, "--optimizer", f"sgd:seed={seed}")]
    code = main(["run", "--surface", "quadratic", "--optimizer", "sgd", "--steps", "1", "--seed", str(seed)])
    capsys.readouterr()
    assert accepted + [code == 0] == [edge == 0] * 5


@pytest.mark.parametrize("edge", [0, 1], ids=["at the limit", "past it"])
def test_labels(capsys, tmp_path, edge):
    label = "x" * (MAX_LABEL + edge)
    accepted = [link_accepts({"o": "sgd", "o1.lb": label}), race_accepts(sgd(label=label)),
                spec_accepts(f"sgd:lb={label}"), cli_accepts(capsys, tmp_path, "--optimizer", f"sgd:lb={label}")]
    assert accepted == [edge == 0] * 4


@pytest.mark.parametrize("edge", [0, 1], ids=["at the limit", "past it"])
def test_optimizers_per_race(capsys, tmp_path, edge):
    n = MAX_OPTIMIZERS + edge
    _, notices = decode({"o": "~".join(["sgd"] * n)}, DEFAULTS)
    specs = [arg for _ in range(n) for arg in ("--optimizer", "sgd")]
    accepted = [not notices, race_accepts(replace(DEFAULTS.config, optimizers=(OptimizerConfig("sgd"),) * n)),
                cli_accepts(capsys, tmp_path, *specs)]
    assert accepted == [edge == 0] * 3


@pytest.mark.parametrize("edge", [0, 1], ids=["at the limit", "past it"])
def test_typed_surfaces(capsys, tmp_path, edge):
    bound, expression = BOUND_RANGE + edge, "x^2 + y".ljust(MAX_EXPRESSION + edge)
    link = {"s": "custom", "f": "x^2", "bx": f"{bound - 10:g}~{bound:g}"}
    assert link_accepts(link) == race_accepts(typed("x^2", bound)) == (edge == 0)
    assert link_accepts(link | {"f": expression, "bx": "-3~3"}) == race_accepts(typed(expression)) == (edge == 0)
    for argv in (["--expression", "x^2", "--bounds", f"{bound - 10:g}", f"{bound:g}", "-3", "3"],
                 ["--expression", expression]):
        code = main(["run", "--surface", "custom", *argv, "--optimizer", "sgd", "--steps", "1"])
        capsys.readouterr()
        assert (code == 0) == (edge == 0)


# --- the request budget (optviz.budget): the app's smallest settings always fit, so above the budget the page
# always has something smaller to offer instead of refusing (the fair race's tuning excepted: a dozen of the
# costliest optimizers on the longest formula is refused, with an empty table)

def costliest_typed_surface():
    """A stand-in for the dearest surface a user can type: every program as long as MAX_NODES allows (a
    program computes a subset of the distinct nodes of f and its derivative trees, which MAX_NODES caps)."""
    from types import SimpleNamespace

    from surfaces.typed.custom import MAX_NODES

    class Programs:
        programs = tuple(SimpleNamespace(size=MAX_NODES) for _ in range(4))

        def value(self, points):
            raise AssertionError("pricing never evaluates the surface")

    return SimpleNamespace(value=Programs().value)


def test_the_smallest_app_settings_fit_the_request_budget_on_any_surface():
    from optviz import budget
    from optviz.limits import APP_STEPS, BASIN_GRID, SWEEP_RESOLUTION, SWEEP_STEPS
    from optviz.optimizers import SPECS
    from surfaces import get_surface

    for surface in (get_surface("rosenbrock"), costliest_typed_surface()):
        dearest = sorted(SPECS, key=lambda name: budget.race_seconds(surface, [name], 10), reverse=True)
        assert budget.grid_seconds(surface, dearest[0], SWEEP_RESOLUTION[0] ** 2, SWEEP_STEPS[0]) <= budget.REQUEST_SECONDS
        assert budget.grid_seconds(surface, dearest[0], BASIN_GRID[0] ** 2, SWEEP_STEPS[0]) <= budget.REQUEST_SECONDS
        assert budget.race_seconds(surface, dearest[:MAX_OPTIMIZERS], APP_STEPS[0]) <= budget.REQUEST_SECONDS
        assert budget.tuning_seconds(surface, dearest[:1], SWEEP_STEPS[0]) <= budget.REQUEST_SECONDS
