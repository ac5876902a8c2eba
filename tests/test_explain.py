"""Explain this step: the substituted numbers must redo the recorded step.

Every line of ``substituted_latex`` is ``symbol = expression = result``. The tests turn the
LaTeX expression back into arithmetic (a small converter below, independent of the module)
and evaluate it from the numbers as displayed: with exact numbers (``digits=None``) the last
line must give ``positions[step]`` to 1e-12; with 6 significant digits, to about the sixth digit.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from optviz.classroom.explain import explain_step, number
from optviz.i18n import CATALOG as STRINGS
from optviz.limits import MAX_OPTIMIZERS
from optviz.optimizers import CONVENTIONS, SPECS, make_optimizer, standard_normal
from optviz.race import OptimizerConfig, RaceConfig, run_race
from optviz.simulate import simulate
from surfaces import get_surface

STEPS = 8
EXPLAINED = (1, 3, STEPS)

# Learning rates that stay on Rosenbrock's map for 8 steps from (-1.2, 1), where |∇f| ≈ 230; an
# optimizer not listed runs at its default rate.
LR = {"sgd": 2e-4, "momentum": 2e-4, "nesterov": 2e-4, "adagrad": 0.1, "rmsprop": 0.01, "adadelta": 1.0,
      "adam": 0.05, "adamw": 0.05, "newton": 0.5, "asgd": 2e-4}
DECORATIONS = {"weight_decay": 0.05, "damping": 0.5}  # for the optimizers that take them


def configs(convention: str, variant: str) -> tuple[OptimizerConfig, ...]:
    """One contestant per optimizer with this convention. ``decorated``: weight decay (or Newton's damping), a
    schedule, gradient noise; ``raw``: no bias correction, for the optimizers that offer the switch."""
    out = []
    for name, spec in SPECS.items():
        if convention not in spec.conventions:
            continue
        values = {"lr": LR.get(name, spec.hyper("lr").default)}
        extra = {}
        if variant == "decorated":
            values |= {h.name: DECORATIONS[h.name] for h in spec.hyperparameters if h.name in DECORATIONS}
            extra = dict(schedule="step:2:0.5+warmup:2", noise=0.3, seed=5)
        if variant == "raw":
            extra = dict(bias_correction=False)
        out.append(OptimizerConfig(name, convention=convention, **extra).with_values(**values))
    return tuple(out)


_RACES: dict = {}


def race(convention: str, variant: str, name: str | None = None):
    """The race of the contestants ``configs`` gives, in races of at most ``MAX_OPTIMIZERS``: the one holding ``name``
    (the first without a name)."""
    cfgs = configs(convention, variant)
    first = 0 if name is None else index_of(name, cfgs) // MAX_OPTIMIZERS * MAX_OPTIMIZERS
    key = (convention, variant, first)
    if key not in _RACES:
        chunk = cfgs[first:first + MAX_OPTIMIZERS]
        _RACES[key] = chunk, run_race(RaceConfig("rosenbrock", steps=STEPS, optimizers=chunk))
    return _RACES[key]


CASES = [(name, conv, variant) for conv in CONVENTIONS for variant in ("plain", "decorated", "raw")
         for name, spec in SPECS.items() if conv in spec.conventions and (variant != "raw" or spec.bias_correction)]


def index_of(name: str, cfgs: tuple[OptimizerConfig, ...]) -> int:
    return [cfg.name for cfg in cfgs].index(name)


# ---------------------------------------------------------------------------------------------
# LaTeX arithmetic back to Python: numbers, + - \cdot, \frac{}{}, \sqrt{}, ^{}, \left( \right), and a limit
# as ε → 0⁺ of a quotient, evaluated at a tiny ε.

def _group(tex: str, i: int) -> tuple[str, int]:
    assert tex[i] == "{", f"expected a brace group at {i} in {tex!r}"
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1:j], j + 1
    raise AssertionError(f"unbalanced braces in {tex!r}")


TINY_EPS = "(1e-300)"  # a limit as ε → 0⁺ is evaluated at this ε: 0/(0 + ε) = 0, √ε/√ε = 1


def to_python(tex: str) -> str:
    tex = tex.replace(r"\lim_{\epsilon \to 0^{+}} ", "").replace(r"\epsilon", TINY_EPS)
    tex = re.sub(r"(\d+(?:\.\d+)?)\\times 10\^\{(-?\d+)\}", r"\1e\2", tex)
    tex = tex.replace(r"\left(", "(").replace(r"\right)", ")").replace(r"\cdot", "*")
    out, i = [], 0
    while i < len(tex):
        if tex.startswith(r"\frac", i):
            a, i = _group(tex, i + 5)
            b, i = _group(tex, i)
            out.append(f"(({to_python(a)})/({to_python(b)}))")
        elif tex.startswith(r"\sqrt", i):
            a, i = _group(tex, i + 5)
            out.append(f"sqrt({to_python(a)})")
        elif tex[i] == "^":
            a, i = _group(tex, i + 1)
            out.append(f"**({to_python(a)})")
        elif tex[i] in "\\{}":
            raise AssertionError(f"unexpected LaTeX at {i} in {tex!r}")
        else:
            out.append(tex[i])
            i += 1
    return "".join(out)


def evaluate(tex: str) -> float:
    return float(eval(to_python(tex), {"__builtins__": {}}, {"sqrt": math.sqrt}))


def parse(line: str) -> tuple[str, float | None, float, float]:
    """``(symbol, expression value or None, displayed result, largest number in the line)``."""
    parts = line.split(" = ")
    assert len(parts) in (2, 3), line
    numbers = [abs(float(m)) for m in re.findall(r"\d+(?:\.\d+)?(?:e-?\d+)?", to_python(" ".join(parts[1:])))]
    expression = evaluate(parts[1]) if len(parts) == 3 else None
    return parts[0], expression, evaluate(parts[-1]), max(numbers)


_NUMBER = re.compile(r"(?<!\*\*\()\d+(?:\.\d+)?(?:e-?\d+)?")  # not an exponent such as **(3)


def half_unit(value: float, digits: int = 6) -> float:
    """Half a unit in the last of ``digits`` significant digits: how far rounding may have moved ``value``."""
    return 0.0 if value == 0 else 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)


def rounding_bound(tex: str, digits: int = 6) -> float:
    """How much the expression can move when every number in it moves by its rounding (to first order)."""
    code = to_python(tex)
    base = eval(code, {"__builtins__": {}}, {"sqrt": math.sqrt})
    bound = 0.0
    for m in _NUMBER.finditer(code):
        h = half_unit(float(m.group()), digits)
        if h:
            nudged = code[:m.start()] + repr(float(m.group()) + h) + code[m.end():]
            bound += abs(eval(nudged, {"__builtins__": {}}, {"sqrt": math.sqrt}) - base)
    return bound


def final_lines(explanation) -> list[str]:
    return [next(l for l in explanation.substituted_latex if l.startswith(f"{c}_{{{explanation.step}}} = "))
            for c in "xy"]


# ---------------------------------------------------------------------------------------------

def test_converter_reads_what_it_should():
    assert evaluate(r"\frac{0.5}{\sqrt{4} + \left(1\times 10^{-8}\right)} \cdot \left(-2\right)^{2}") == pytest.approx(
        0.5 / (2 + 1e-8) * 4)
    assert evaluate(r"1 - 0.9^{3}") == pytest.approx(1 - 0.729)


@pytest.mark.parametrize("name,convention,variant", CASES)
def test_exact_numbers_recompute_the_next_position(name, convention, variant):
    cfgs, traj = race(convention, variant, name)
    run = index_of(name, cfgs)
    assert traj.status[run] == "running"
    for step in EXPLAINED:
        e = explain_step(cfgs[run], traj, run, step, digits=None)
        assert e.status == "moved" and e.reproduces is True
        np.testing.assert_allclose(e.new_position, traj.positions[step, run], rtol=1e-12, atol=1e-12)
        for line in e.substituted_latex:
            _, expression, result, biggest = parse(line)
            if expression is not None:
                assert expression == pytest.approx(result, rel=1e-12, abs=1e-12 * biggest), line
        for c, line in enumerate(final_lines(e)):
            _, expression, result, biggest = parse(line)
            assert result == traj.positions[step, run, c]  # printed exactly
            assert expression == pytest.approx(traj.positions[step, run, c], rel=1e-12, abs=1e-12 * biggest), line


@pytest.mark.parametrize("name,convention,variant", CASES)
def test_six_digits_recompute_the_next_position_to_the_digits_shown(name, convention, variant):
    cfgs, traj = race(convention, variant, name)
    run = index_of(name, cfgs)
    step = 3
    e = explain_step(cfgs[run], traj, run, step, digits=6)
    # Each line's arithmetic, redone from the rounded numbers shown, must land on the result shown
    # within what those roundings allow (first-order propagation, plus the result's own rounding).
    for line in e.substituted_latex:
        parts = line.split(" = ")
        if len(parts) == 3:
            expression, result = evaluate(parts[1]), evaluate(parts[2])
            allowed = rounding_bound(parts[1]) + half_unit(result)
            assert abs(expression - result) <= 1.5 * allowed + 1e-15, line
    for c, line in enumerate(final_lines(e)):
        recorded = traj.positions[step, run, c]
        assert line.endswith(" = " + number(recorded, 6))  # the new position, to the digits shown
        expression = evaluate(line.split(" = ")[1])
        assert abs(expression - recorded) <= 1.5 * (rounding_bound(line.split(" = ")[1]) + half_unit(recorded)), line
        assert expression == pytest.approx(recorded, rel=1e-4), line  # and that bound is small here
    assert any("6 significant digits" in note for note in e.notes)


def test_sgd_first_step_by_hand():
    # x² + y² from (1, -2): g = (2, -4); lr 0.1: x1 = 1 - 0.1·2 = 0.8, y1 = -2 - 0.1·(-4) = -1.6
    cfg = OptimizerConfig("sgd").with_values(lr=0.1)
    traj = run_race(RaceConfig("quadratic", start=(1.0, -2.0), steps=3, optimizers=(cfg,)))
    e = explain_step(cfg, traj, 0, 1)
    assert e.substituted_latex == [r"\eta = 0.1", "g_{x,1} = 2", "g_{y,1} = -4",
                                   r"x_{1} = 1 - 0.1 \cdot 2 = 0.8", r"y_{1} = -2 - 0.1 \cdot \left(-4\right) = -1.6"]
    assert e.formula_latex == r"\begin{aligned}g_t &= \nabla f(\theta_{t-1}) \\ \theta_t &= \theta_{t-1} - \eta_t\,g_t\end{aligned}"


def test_momentum_second_step_by_hand():
    # x² + y² from (1, -2), lr 0.1, β 0.9 (pytorch): v1 = g0 = (2, -4), θ1 = (0.8, -1.6);
    # g1 = (1.6, -3.2), v2 = 0.9·(2, -4) + (1.6, -3.2) = (3.4, -6.8), θ2 = θ1 - 0.1 v2 = (0.46, -0.92)
    cfg = OptimizerConfig("momentum").with_values(lr=0.1, beta=0.9)
    traj = run_race(RaceConfig("quadratic", start=(1.0, -2.0), steps=3, optimizers=(cfg,)))
    e = explain_step(cfg, traj, 0, 2)
    assert r"v_{x,2} = 0.9 \cdot 2 + 1.6 = 3.4" in e.substituted_latex
    assert r"x_{2} = 0.8 - 0.1 \cdot 3.4 = 0.46" in e.substituted_latex
    np.testing.assert_allclose(e.values["velocity"], [3.4, -6.8], rtol=1e-14)
    np.testing.assert_allclose(e.new_position, [0.46, -0.92], rtol=1e-14)


def test_scheduled_learning_rate_is_the_one_of_that_step():
    # step:2:0.5 with 2 warm-up updates: multipliers s(k) = 0.5, 1, 0.5, 0.5, 0.25, ... ; update t uses s(t - 1)
    cfgs, traj = race("pytorch", "decorated")
    for step, factor in ((1, 0.5), (2, 1.0), (3, 0.5), (5, 0.25)):
        e = explain_step(cfgs[0], traj, 0, step)
        assert e.values["lr_scheduled"] == pytest.approx(LR["sgd"] * factor)
        assert e.substituted_latex[0] == rf"\eta_{{{step}}} = 0.0002 \cdot {number(factor)} = {number(LR['sgd'] * factor)}"


def test_noise_is_regenerated_and_shown():
    cfgs, traj = race("pytorch", "decorated")
    e = explain_step(cfgs[0], traj, 0, 3)
    xi = standard_normal(np.array([5]), 3)[0]
    np.testing.assert_allclose(e.values["gradient"], traj.grad[2, 0] + 0.3 * xi, rtol=1e-15)
    assert any("noisy gradient" in note and "seed 5" in note for note in e.notes)
    assert r"g_t &= \nabla f(\theta_{t-1}) + \sigma\,\xi_t" in e.formula_latex


def test_settings_that_were_not_simulated_are_reported():
    cfgs, traj = race("pytorch", "decorated")
    quiet = OptimizerConfig("sgd", schedule=cfgs[0].schedule).with_values(lr=LR["sgd"], weight_decay=0.05)  # no noise
    e = explain_step(quiet, traj, 0, 3)
    assert e.reproduces is False and any("do not reproduce" in note for note in e.notes)


def test_step_zero_and_out_of_range_are_rejected():
    cfgs, traj = race("pytorch", "plain")
    with pytest.raises(ValueError, match="step 0 is the start point"):
        explain_step(cfgs[0], traj, 0, 0)
    with pytest.raises(ValueError, match=r"step must be in \[1, 8\]"):
        explain_step(cfgs[0], traj, 0, 9)
    with pytest.raises(ValueError, match="run must be in"):
        explain_step(cfgs[0], traj, 99, 1)
    with pytest.raises(ValueError, match="was simulated with 'momentum'"):
        explain_step(cfgs[0], traj, 1, 1)


def test_missing_internals_are_rejected():
    traj = simulate(get_surface("quadratic"), make_optimizer("adam", lr=0.1), [1.0, 1.0], 4, record_internals=False)
    with pytest.raises(ValueError, match="record_internals"):
        explain_step(OptimizerConfig("adam").with_values(lr=0.1), traj, 0, 2)


def test_diverged_step_and_after():
    # SGD with lr 1.5 on x² + y² multiplies θ by (1 - 2·1.5) = -2 each step: from (1, 0.5) it leaves
    # ±200 (100 × the bound 2) at step 8, since 2^8 = 256.
    cfg = OptimizerConfig("sgd").with_values(lr=1.5)
    traj = run_race(RaceConfig("quadratic", start=(1.0, 0.5), steps=12, optimizers=(cfg,)))
    assert traj.status_text(0) == "diverged at step 8"
    e = explain_step(cfg, traj, 0, 8)
    assert e.status == "diverged" and e.reproduces is None
    np.testing.assert_allclose(e.new_position, [256.0, 128.0])  # where it would have gone
    np.testing.assert_array_equal(e.recorded_position, traj.positions[7, 0])  # where it stayed
    assert any("This step diverged" in note for note in e.notes)
    later = explain_step(cfg, traj, 0, 10)
    assert later.status == "stopped" and later.substituted_latex == []
    assert any("diverged at step 8" in note for note in later.notes)
    zh = explain_step(cfg, traj, 0, 10, lang="zh")
    assert any("第 8 步发散" in note for note in zh.notes)


def test_converged_step_and_after():
    # Newton (lr 1) on x² + y² jumps to the origin at step 1; step 2 takes a zero step there and converges.
    cfg = OptimizerConfig("newton")
    traj = run_race(RaceConfig("quadratic", start=(1.0, -0.5), steps=5, optimizers=(cfg,)))
    assert traj.status_text(0) == "converged to a minimum at step 2"
    first = explain_step(cfg, traj, 0, 1)
    assert first.status == "moved" and first.reproduces
    assert r"H_{xx} = 2" in first.substituted_latex and r"D = \left(2 + 0\right) \cdot \left(2 + 0\right) - 0^{2} = 4" \
        in first.substituted_latex
    e = explain_step(cfg, traj, 0, 2)
    assert e.status == "converged" and e.reproduces and any("converged at this step" in n for n in e.notes)
    assert explain_step(cfg, traj, 0, 3).status == "stopped"


@pytest.mark.parametrize("convention", ["pytorch", "keras"])
@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam", "adamw", "adadelta"])
def test_zero_eps_on_a_zero_gradient_is_explained_as_the_limit(name, convention):
    # Saddle x²/2 + y⁴/4 − y²/2 from (1, 0): ∂f/∂y = y³ − y = 0 at every step, so with ε = 0 every y
    # quotient is 0/0. The optimizers take it as 0, its limit as ε → 0⁺, and y stays 0; the explanation
    # must do the same, write that limit instead of a NaN, and reproduce the step. (Keras's AdaGrad starts
    # its accumulator at 0.1: no 0/0 there.)
    cfg = OptimizerConfig(name, convention=convention).with_values(eps=0.0)
    traj = run_race(RaceConfig("saddle", start=(1.0, 0.0), steps=3, optimizers=(cfg,)))
    assert traj.status[0] == "running"
    for step in (1, 2, 3):
        e = explain_step(cfg, traj, 0, step, digits=None)
        assert e.status == "moved" and e.reproduces is True, e.notes
        np.testing.assert_array_equal(e.new_position, traj.positions[step, 0])
        assert not any(r"\mathrm{NaN}" in line or r"\infty" in line for line in e.substituted_latex)
        limits = [line for line in e.substituted_latex if r"\lim" in line]
        if name == "adagrad" and convention == "keras":
            assert limits == []
        else:  # one line per step, for y: Δ_y for AdaDelta, y_t for the others
            assert len(limits) == 1 and limits[0].startswith((f"y_{{{step}}} = ", rf"\Delta_{{y,{step}}} = "))
            assert limits[0].endswith(" = 0")
        for line in e.substituted_latex:  # every line, the limit included, redoes its arithmetic
            _, expression, result, biggest = parse(line)
            if expression is not None:
                assert expression == pytest.approx(result, rel=1e-12, abs=1e-12 * biggest), line
        if "effective_lr" in e.values:  # the rate of a 0/0 coordinate is undefined (NaN), as recorded
            np.testing.assert_array_equal(e.values["effective_lr"], traj.internals["effective_lr"][step, 0])


def test_chinese_notes():
    cfgs, traj = race("keras", "decorated")
    e = explain_step(cfgs[6], traj, 6, 2, lang="zh")
    assert e.notes and all(re.search(r"[\u4e00-\u9fff]", note) for note in e.notes)
    for key, entry in STRINGS.items():
        assert set(entry) == {"en", "zh"}, key
