"""The command line, run in-process through ``main([...])`` and, a few times, as ``python -m optviz``.

Every expected number is derived by hand in the comment next to it. On the quadratic x² + y²
(gradient 2θ) gradient descent is θ_t = (1 − 2η_t) θ_{t−1}; Rosenbrock's start (−1.2, 1) has
loss (1 + 1.2)² + 100 (1 − 1.44)² = 4.84 + 19.36 = 24.2.
"""
import csv
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from optviz.cli import main
from optviz.optimizers import HYPERPARAMETERS, OPTIMIZERS
from surfaces import PARAMETERS, SURFACES, get_surface

ROOT = Path(__file__).resolve().parents[1]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def csv_rows(text):
    """The CSV as a list of {column: float} (step as int), after checking the header comes first."""
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames[:4] == ["step", "x", "y", "loss"]
    return [{k: int(v) if k == "step" else float(v) for k, v in row.items()} for row in reader]


def run_rows(capsys, *argv):
    code, out, err = run_cli(capsys, "run", *argv)
    assert code == 0, err
    return csv_rows(out), err


# ------------------------------------------------------------------------------------------ run, CSV


def test_rosenbrock_adam_prints_header_and_one_row_per_step_from_the_start(capsys):
    rows, err = run_rows(capsys, "--surface", "rosenbrock", "--optimizer", "adam", "--steps", "100")
    assert len(rows) == 101  # steps 0..100
    assert [r["step"] for r in rows] == list(range(101))
    assert (rows[0]["x"], rows[0]["y"]) == (-1.2, 1.0)  # the surface's default start
    assert rows[0]["loss"] == pytest.approx(24.2, rel=1e-12)
    # The status is one stderr line. Adam with lr 0.001 moves each coordinate by about 0.001 a
    # step, so 100 steps cannot cover the distance 2.2 to the minimum at (1, 1): still running.
    assert err == "# rosenbrock · adam · not converged in 100 steps\n"


def test_extra_columns_are_gradient_then_internals(capsys):
    code, out, _ = run_cli(capsys, "run", "--surface", "quadratic", "--optimizer", "adam", "--steps", "1")
    header = out.splitlines()[0].split(",")
    assert header[:6] == ["step", "x", "y", "loss", "grad_x", "grad_y"]
    assert any(name.startswith("effective_lr") for name in header[6:])


def test_first_sgd_step_on_quadratic_by_hand(capsys):
    # θ1 = θ0 − 0.1 · 2θ0 = 0.8 θ0 = (0.8, 1.6); loss 0.64 + 2.56 = 3.2; θ2 = 0.64 θ0.
    rows, _ = run_rows(capsys, "--surface", "quadratic", "--optimizer", "sgd", "--lr", "0.1",
                       "--start", "1", "2", "--steps", "2")
    assert (rows[0]["x"], rows[0]["y"], rows[0]["loss"]) == (1.0, 2.0, 5.0)
    assert (rows[0]["grad_x"], rows[0]["grad_y"]) == (2.0, 4.0)
    assert rows[1]["x"] == pytest.approx(0.8) and rows[1]["y"] == pytest.approx(1.6)
    assert rows[1]["loss"] == pytest.approx(3.2)
    assert rows[2]["x"] == pytest.approx(0.64) and rows[2]["y"] == pytest.approx(1.28)


def test_negative_start_is_a_value_not_a_flag(capsys):
    # θ1 = 0.8 θ0 from (−1, −2): (−0.8, −1.6).
    rows, _ = run_rows(capsys, "--surface", "quadratic", "--optimizer", "sgd", "--lr", "0.1",
                       "--start", "-1", "-2", "--steps", "1")
    assert (rows[0]["x"], rows[0]["y"]) == (-1.0, -2.0)
    assert rows[1]["x"] == pytest.approx(-0.8) and rows[1]["y"] == pytest.approx(-1.6)


def test_schedule_reaches_the_optimizer(capsys):
    # step:1:0.5 halves the rate after every update: η = 0.1, 0.05 → x = 0.8, then 0.8 · 0.9 = 0.72.
    rows, _ = run_rows(capsys, "--surface", "quadratic", "--optimizer", "sgd", "--lr", "0.1",
                       "--schedule", "step:1:0.5", "--start", "1", "0", "--steps", "2")
    assert [r["x"] for r in rows] == pytest.approx([1.0, 0.8, 0.72])


@pytest.mark.parametrize("convention, x1", [
    ("pytorch", 0.8),  # v1 = g = 2, x1 = 1 − 0.1 · 2
    ("textbook", 0.9),  # v1 = (1 − β) g = 1, x1 = 1 − 0.1 · 1
])
def test_convention_and_beta_reach_the_optimizer(capsys, convention, x1):
    rows, _ = run_rows(capsys, "--surface", "quadratic", "--optimizer", "momentum", "--lr", "0.1",
                       "--beta", "0.5", "--convention", convention, "--start", "1", "0", "--steps", "1")
    assert rows[1]["x"] == pytest.approx(x1)


@pytest.mark.parametrize("flags, x1", [
    # With bias correction Adam's first step is −η g/|g| per coordinate: 1 − 0.1 = 0.9.
    ((), 0.9),
    # Without: m1 = 0.1 g, v1 = 0.001 g², step −η · 0.1 / √0.001 = −0.316227766…
    (("--no-bias-correction",), 1 - 0.01 / math.sqrt(0.001)),
])
def test_bias_correction_flag(capsys, flags, x1):
    rows, _ = run_rows(capsys, "--surface", "quadratic", "--optimizer", "adam", "--lr", "0.1",
                       "--start", "1", "0", "--steps", "1", *flags)
    assert rows[1]["x"] == pytest.approx(x1, rel=1e-6)


def test_surface_param_reaches_the_surface(capsys):
    # Ravine at angle 0 is (x² + κ y²) / 2: at (1, 1) with κ = 50 that is 51 / 2 = 25.5.
    rows, _ = run_rows(capsys, "--surface", "ravine", "--surface-param", "condition=50", "angle=0",
                       "--optimizer", "sgd", "--start", "1", "1", "--steps", "1")
    assert rows[0]["loss"] == pytest.approx(25.5)


def test_noise_is_reproducible_by_seed(capsys):
    base = ("--surface", "quadratic", "--optimizer", "sgd", "--lr", "0.1", "--steps", "5")
    clean, _ = run_rows(capsys, *base)
    a, _ = run_rows(capsys, *base, "--noise", "0.5", "--seed", "7")
    b, _ = run_rows(capsys, *base, "--noise", "0.5", "--seed", "7")
    c, _ = run_rows(capsys, *base, "--noise", "0.5", "--seed", "8")
    assert a == b
    assert a != c and a != clean
    assert a[0] == clean[0]  # noise changes the steps, not the start


def test_divergence_is_in_the_status_and_rows_stay_finite(capsys):
    # η = 10: θ_t = (1 − 20) θ_{t−1} = (−19)^t θ_0, so from (1, 1) |x_t| = 19, 361, … The
    # divergence limit is 100 times the plot's size, a few hundred for the [−2, 2]² box, so the
    # run leaves it at step 2 and is frozen at its step-1 point (−19, −19) from then on.
    code, out, err = run_cli(capsys, "run", "--surface", "quadratic", "--optimizer", "sgd", "--lr", "10",
                             "--start", "1", "1", "--steps", "10")
    assert code == 0
    assert err == "# quadratic · sgd · diverged at step 2\n"
    rows = csv_rows(out)
    assert len(rows) == 11
    assert all(math.isfinite(v) for row in rows for v in row.values())
    assert all((r["x"], r["y"]) == (-19.0, -19.0) for r in rows[1:])


def test_start_beyond_the_radius_is_diverged_at_step_0_with_its_true_loss(capsys):
    # (201, 0) is past the radius 100 · 2 = 200 of x² + y²: the run stops before its first step, at its
    # start, with the loss 201² = 40401 and gradient 2θ = (402, 0) there; a 0 would read as the minimum.
    args = ("run", "--surface", "quadratic", "--optimizer", "adam", "--start", "201", "0", "--steps", "2")
    code, out, err = run_cli(capsys, *args)
    assert code == 0 and err == "# quadratic · adam · diverged at step 0\n"
    rows = csv_rows(out)
    seen = [(r["x"], r["y"], r["loss"], r["grad_x"], r["grad_y"]) for r in rows]
    assert seen == [(201.0, 0.0, 40401.0, 402.0, 0.0)] * 3
    code, out, _ = run_cli(capsys, *args, "--format", "json")
    assert code == 0 and json.loads(out)["rows"] == rows


def test_start_without_a_loss_is_stored_with_the_worst_loss_not_zero(capsys):
    # log(x) + y² at (−1, 0): the loss is NaN, so the run diverges at step 0 with the largest double as
    # its stand-in loss, not 0 (the minimum's look); the gradient (1/x, 2y) = (−1, 0) is a number and is kept.
    args = ("run", "--surface", "custom", "--expression", "log(x) + y^2", "--optimizer", "sgd",
            "--start", "-1", "0", "--steps", "1")
    code, out, err = run_cli(capsys, *args, "--format", "json")
    assert code == 0 and err.endswith("diverged at step 0\n")
    rows = json.loads(out)["rows"]
    assert [(r["loss"], r["grad_x"], r["grad_y"]) for r in rows] == [(sys.float_info.max, -1.0, 0.0)] * 2
    code, out, _ = run_cli(capsys, *args)
    assert csv_rows(out) == rows


def test_undefined_effective_rate_is_null_in_json_and_empty_in_csv(capsys):
    # Saddle from (1, 0): ∂f/∂y = y³ − y = 0, so with ε = 0 Adam's y rate η/(√v̂ + ε) = η/0 is undefined
    # from the first update on (its y step is 0/0, taken as 0); x's rate is a number.
    args = ("run", "--surface", "saddle", "--optimizer", "adam", "--eps", "0", "--start", "1", "0", "--steps", "3")
    code, out, err = run_cli(capsys, *args, "--format", "json")
    assert code == 0, err
    rows = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))["rows"]
    assert all(r["effective_lr_x"] > 0 and r["effective_lr_y"] is None for r in rows[1:])
    code, out, _ = run_cli(capsys, *args)
    table = list(csv.DictReader(io.StringIO(out)))
    assert "inf" not in out and [row["effective_lr_y"] for row in table[1:]] == ["", "", ""]
    # the same numbers either way: an empty CSV field is a JSON null
    assert [{k: None if v == "" else float(v) for k, v in row.items()} for row in table] == rows


def test_convergence_is_in_the_status(capsys):
    # Newton with η = 1 on x² + y²: θ1 = θ0 − (2I)⁻¹ 2θ0 = 0. Step 1 is still large (|θ0|), step 2
    # is zero with a zero gradient, so the run converges at step 2.
    code, out, err = run_cli(capsys, "run", "--surface", "quadratic", "--optimizer", "newton",
                             "--steps", "5", "--format", "json")
    assert code == 0
    assert json.loads(out)["status"] == "converged to a minimum at step 2"
    assert err == "# quadratic · newton · converged to a minimum at step 2\n"


# ------------------------------------------------------------------------------------------ run, JSON


def test_json_has_the_same_rows_as_csv_and_the_settings(capsys):
    args = ("run", "--surface", "rosenbrock", "--optimizer", "adam", "--lr", "0.01", "--steps", "20")
    _, text, _ = run_cli(capsys, *args)
    code, out, _ = run_cli(capsys, *args, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["rows"] == csv_rows(text)
    assert data["surface"] == "rosenbrock" and data["optimizer"] == "adam"
    assert data["status"] == "not converged in 20 steps"
    assert data["start"] == [-1.2, 1.0] and data["steps"] == 20


def test_json_hyperparameters_are_after_defaults(capsys):
    code, out, _ = run_cli(capsys, "run", "--surface", "quadratic", "--optimizer", "adam", "--lr", "0.01",
                           "--steps", "1", "--format", "json")
    used = json.loads(out)["hyperparameters"]
    assert used["lr"] == 0.01
    for spec in HYPERPARAMETERS["adam"]:
        if spec.name != "lr":
            assert used[spec.name] == spec.default
    assert used["bias_correction"] is True and used["convention"] == "pytorch"


def test_json_records_surface_params_and_schedule(capsys):
    code, out, _ = run_cli(capsys, "run", "--surface", "ravine", "--surface-param", "condition=50",
                           "--optimizer", "sgd", "--schedule", "exp:0.9", "--steps", "1", "--format", "json")
    data = json.loads(out)
    assert data["surface_params"] == {"condition": 50.0, "angle": 0.0}
    assert data["hyperparameters"]["schedule"] == "exp:0.9"


# ------------------------------------------------------------------------------------------ bad flags

QUAD_SGD = ("run", "--surface", "quadratic", "--optimizer", "sgd")

BAD = [
    # (argv, text the one-line message must contain)
    (("run", "--surface", "nowhere", "--optimizer", "sgd"), "--surface"),
    (("run", "--surface", "quadratic", "--optimizer", "conjugate_gradient"), "--optimizer"),
    (QUAD_SGD + ("--lr", "-1"), "--lr must be in (0, 100] (got -1)"),
    (QUAD_SGD + ("--lr=0",), "--lr must be in (0, 100] (got 0)"),
    (QUAD_SGD + ("--lr", "1000"), "--lr must be in (0, 100]"),
    (QUAD_SGD + ("--lr", "fast"), "--lr must be in (0, 100] (got fast)"),
    (QUAD_SGD + ("--lr", "nan"), "--lr must be in (0, 100]"),
    (("run", "--surface", "quadratic", "--optimizer", "momentum", "--beta", "1"), "--beta must be in [0, 1)"),
    (("run", "--surface", "quadratic", "--optimizer", "adam", "--beta2", "-0.1"), "--beta2 must be in [0, 1)"),
    (("run", "--surface", "quadratic", "--optimizer", "adam", "--eps", "x"), "--eps must be in [0, 1]"),
    (("run", "--surface", "quadratic", "--optimizer", "newton", "--damping", "-1"), "--damping must be in [0, 100]"),
    (QUAD_SGD + ("--weight-decay", "11"), "--weight-decay must be in [0, 10]"),
    (QUAD_SGD + ("--beta1", "0.9"), "--beta1 does not apply to sgd; it takes: --lr, --weight-decay"),
    (QUAD_SGD + ("--damping", "1"), "--damping does not apply to sgd"),
    (QUAD_SGD + ("--no-bias-correction",), "--no-bias-correction applies only to adam, adamw"),
    (QUAD_SGD + ("--convention", "jax"), "--convention"),
    (QUAD_SGD + ("--steps", "0"), "--steps must be a whole number in [1, 100000] (got 0)"),
    (QUAD_SGD + ("--steps", "100001"), "--steps must be a whole number in [1, 100000]"),
    (QUAD_SGD + ("--steps", "ten"), "--steps must be a whole number in [1, 100000]"),
    (QUAD_SGD + ("--steps", "2.5"), "--steps must be a whole number in [1, 100000]"),
    (QUAD_SGD + ("--schedule", "linear"), "--schedule: unknown schedule"),
    (QUAD_SGD + ("--schedule", "step:0:0.5"), "--schedule: step decay interval"),
    (QUAD_SGD + ("--schedule", "exp:2"), "--schedule: exponential decay gamma must be in (0, 1]"),
    (QUAD_SGD + ("--schedule", "exp:0.9+cooldown:3"), "--schedule"),
    (QUAD_SGD + ("--noise", "-1"), "--noise must be in [0, 100]"),
    (QUAD_SGD + ("--noise", "0.1", "--seed", "-1"), "--seed must be a whole number"),
    (QUAD_SGD + ("--noise", "0.1", "--seed", "1.5"), "--seed must be a whole number"),
    (QUAD_SGD + ("--start", "nan", "0"), "--start must be two finite numbers"),
    (QUAD_SGD + ("--start", "1", "inf"), "--start must be two finite numbers"),
    (QUAD_SGD + ("--start", "a", "b"), "--start must be two finite numbers"),
    (QUAD_SGD + ("--start", "1"), "--start"),
    (QUAD_SGD + ("--tol", "-1"), "--tol must be in [0, 1]"),
    (QUAD_SGD + ("--format", "xml"), "--format"),
    (QUAD_SGD + ("--surface-param", "k=1"), "--surface-param: quadratic has no parameter 'k'"),
    (("run", "--surface", "ravine", "--optimizer", "sgd", "--surface-param", "condition=0"),
     "--surface-param condition must be in [1, 1000] (got 0)"),
    (("run", "--surface", "ravine", "--optimizer", "sgd", "--surface-param", "condition=wide"),
     "--surface-param condition must be in [1, 1000]"),
    (("run", "--surface", "ravine", "--optimizer", "sgd", "--surface-param", "angle"),
     "--surface-param must look like KEY=VALUE"),
    (("run", "--surface", "plateau", "--optimizer", "sgd", "--surface-param", "condition=2"),
     "it takes: width"),
    (QUAD_SGD + ("--learning-rate", "0.1"), "--learning-rate"),
    (("run", "--optimizer", "sgd"), "--surface"),
    (("list", "--format", "yaml"), "--format"),
    (("walk",), "walk"),
    ((), "COMMAND"),
]


@pytest.mark.parametrize("argv, expected", BAD, ids=[" ".join(a[2:] if a[:1] == ("run",) else a) for a, _ in BAD])
def test_bad_flag_exits_2_with_one_line(capsys, argv, expected):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("optviz: error: ")
    assert expected in err
    assert "Traceback" not in err and "usage:" not in err


@pytest.mark.parametrize("spec", ["step:1e400:0.5", "cosine:inf", "constant+warmup:inf", "step:nan:0.5"])
def test_infinite_schedule_count_is_a_usage_error(capsys, spec):
    code, _, err = run_cli(capsys, *QUAD_SGD, "--schedule", spec)
    assert code == 2 and err.startswith("optviz: error: --schedule") and err.count("\n") == 1


def test_help_returns_zero_and_prints_usage(capsys):
    code, out, _ = run_cli(capsys, "run", "--help")
    assert code == 0
    for flag in ("--surface", "--optimizer", "--lr", "--beta1", "--weight-decay", "--damping", "--surface-param"):
        assert flag in out


# ----------------------------------------------------------------------------------------------- sweep


def sweep_rows(text):
    """The sweep CSV as a list of dicts (floats, steps_to_tol as int, status as text)."""
    reader = csv.DictReader(io.StringIO(text))
    return reader.fieldnames, [{k: (v if k == "status" else int(v) if k == "steps_to_tol" else float(v))
                                for k, v in row.items()} for row in reader]


# On x² + y² from (1.5, 1), SGD with weight decay λ is θ_t = (1 − η(2 + λ))^t θ_0 (loss 3.25 at t = 0).
# --x lr:0.25:1.75:4 is η = 0.25, 0.75, 1.25, 1.75; --y weight_decay:0:1:2 is λ = 0, 1. Factors:
#   λ = 0:  0.5, −0.5, −1.5, −2.5      λ = 1:  0.25, −1.25, −2.75, −4.25
# |f| < 1 converges (gradient and step below 1e-8 well within 200 steps); |f| > 1 passes ±200
# (1.5 · 1.25^22 = 200.6 is the slowest, at step 22). Steps to loss ≤ 1e-6: 3.25 f^(2t) ≤ 1e-6 first
# at t = ⌈ln(3.25e6) / ln(1 / f²)⌉ = ⌈14.99 / 1.386⌉ = 11 for |f| = 0.5 and ⌈14.99 / 2.773⌉ = 6 for 0.25.
QUAD_SWEEP = ("sweep", "--surface", "quadratic", "--optimizer", "sgd", "--x", "lr:0.25:1.75:4",
              "--y", "weight_decay:0:1:2")


def test_sweep_prints_one_row_per_cell_x_fastest(capsys):
    code, out, err = run_cli(capsys, *QUAD_SWEEP)
    assert code == 0, err
    header, rows = sweep_rows(out)
    assert header == ["lr", "weight_decay", "final_loss", "steps_to_tol", "status"]
    assert len(rows) == 4 * 2
    assert [r["lr"] for r in rows] == [0.25, 0.75, 1.25, 1.75] * 2
    assert [r["weight_decay"] for r in rows] == [0.0] * 4 + [1.0] * 4
    assert [r["status"] for r in rows] == ["converged", "converged", "diverged", "diverged",
                                           "converged", "diverged", "diverged", "diverged"]
    assert [r["steps_to_tol"] for r in rows] == [11, 11, -1, -1, 6, -1, -1, -1]
    assert err == "# quadratic · sgd · 4 × 2 cells: 3 converged, 0 running, 5 diverged\n"


def test_sweep_header_names_the_swept_hyperparameters(capsys):
    code, out, _ = run_cli(capsys, "sweep", "--surface", "rosenbrock", "--optimizer", "adam",
                           "--x", "lr:1e-4:1:5:log", "--y", "beta1:0.5:0.999:3", "--steps", "20")
    assert code == 0
    header, rows = sweep_rows(out)
    assert header == ["lr", "beta1", "final_loss", "steps_to_tol", "status"]
    assert len(rows) == 15
    assert rows[0]["lr"] == 1e-4 and rows[4]["lr"] == 1.0 and rows[-1]["beta1"] == 0.999
    assert {r["status"] for r in rows} <= {"running", "converged", "diverged", "saddle"}


def test_sweep_fixed_flags_start_and_steps_reach_every_cell(capsys):
    # Textbook momentum, β = 0.5, one step from (1, 0): v_1 = (1 − β) g = 0.5 · (2 + λ), so
    # x_1 = 1 − η · 0.5 (2 + λ) and the loss is x_1². Cells η ∈ {0.1, 0.2}, λ ∈ {0, 2}:
    #   (0.1, 0): 0.9² = 0.81   (0.2, 0): 0.8² = 0.64   (0.1, 2): 0.8² = 0.64   (0.2, 2): 0.6² = 0.36
    code, out, err = run_cli(capsys, "sweep", "--surface", "quadratic", "--optimizer", "momentum",
                             "--x", "lr:0.1:0.2:2", "--y", "weight_decay:0:2:2", "--beta", "0.5",
                             "--convention", "textbook", "--start", "1", "0", "--steps", "1")
    assert code == 0, err
    _, rows = sweep_rows(out)
    assert [r["final_loss"] for r in rows] == pytest.approx([0.81, 0.64, 0.64, 0.36], rel=1e-12)


def test_sweep_tolerance_flag(capsys):
    # With tolerance 1e-2 the η = 0.25, λ = 0 cell needs 3.25 · 0.25^t ≤ 0.01: t = ⌈ln 325 / ln 4⌉ = 5.
    code, out, _ = run_cli(capsys, *QUAD_SWEEP, "--tolerance", "1e-2")
    assert code == 0
    assert sweep_rows(out)[1][0]["steps_to_tol"] == 5


def test_sweep_json(capsys):
    code, text, _ = run_cli(capsys, *QUAD_SWEEP)
    code, out, _ = run_cli(capsys, *QUAD_SWEEP, "--format", "json")
    assert code == 0
    data = json.loads(out)
    _, rows = sweep_rows(text)
    assert data["rows"] == rows
    assert data["x"] == {"name": "lr", "low": 0.25, "high": 1.75, "n": 4, "log": False, "spec": "lr:0.25:1.75:4"}
    assert data["y"]["name"] == "weight_decay" and data["steps"] == 200 and data["tolerance"] == 1e-6
    assert data["start"] == [1.5, 1.0]
    # the best cell is the lowest final loss among the converged ones
    converged = [r for r in rows if r["status"] != "diverged"]
    assert data["best"] == min(converged, key=lambda r: r["final_loss"])


BAD_SWEEP = [
    ((), "--x"),
    (("--x", "lr:0.1:1:3"), "--y"),
    (("--x", "lr:0.1:1", "--y", "weight_decay:0:1:2"), "--x: an axis looks like NAME:LOW:HIGH:N"),
    (("--x", "lr:0:1:3:log", "--y", "weight_decay:0:1:2"), "--x: lr axis: a log axis needs LOW > 0 (got 0)"),
    (("--x", "lr:1:0.1:3", "--y", "weight_decay:0:1:2"), "--x: lr axis: LOW must be below HIGH"),
    (("--x", "lr:0.1:1:1", "--y", "weight_decay:0:1:2"), "--x: N must be a whole number in [2, 500] (got '1')"),
    (("--x", "lr:0.1:1:501", "--y", "weight_decay:0:1:2"), "--x: N must be a whole number in [2, 500]"),
    (("--x", "lr:0.1:1000:3", "--y", "weight_decay:0:1:2"), "--x: lr axis: HIGH must be in (0, 100] (got 1000)"),
    (("--x", "lr:x:1:3", "--y", "weight_decay:0:1:2"), "--x: LOW must be a finite number (got 'x')"),
    (("--x", "lr:0.1:1:3:lin", "--y", "weight_decay:0:1:2"), "--x: the fifth field of an axis can only be 'log'"),
    (("--x", "lr:0.1:1:3", "--y", "beta:0:0.9:2"), "--y: sgd has no hyperparameter 'beta'; it takes: lr, weight_decay"),
    (("--x", "lr:0.1:1:3", "--y", "lr:0.2:1:2"), "--y: lr is already swept by --x"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:11:2"), "--y: weight_decay axis: HIGH must be in [0, 10]"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2", "--lr", "0.1"), "--lr is swept by --x; drop one of them"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2", "--eps", "0.1"), "--eps does not apply to sgd"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2", "--steps", "0"), "--steps must be a whole number"),
    (("--x", "lr:0.1:1:500", "--y", "weight_decay:0:1:500", "--steps", "100000"),
     "--steps: 250000 cells × 100000 steps is more than 1e+09 run-steps"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2", "--tolerance", "-1"), "--tolerance must be in [0, 1e+06]"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2", "--tolerance", "nan"), "--tolerance must be in"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2", "--start", "1", "inf"), "--start must be two finite numbers"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2", "--format", "xml"), "--format"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2", "--surface-param", "k=1"), "--surface-param"),
    (("--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2", "--schedule", "linear"), "--schedule: unknown schedule"),
]


@pytest.mark.parametrize("extra, expected", BAD_SWEEP, ids=[" ".join(a) or "no grid" for a, _ in BAD_SWEEP])
def test_bad_sweep_flag_exits_2_with_one_line(capsys, extra, expected):
    code, out, err = run_cli(capsys, "sweep", "--surface", "quadratic", "--optimizer", "sgd", *extra)
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("optviz: error: ")
    assert expected in err
    assert "Traceback" not in err and "usage:" not in err


def test_sweep_help_lists_its_flags(capsys):
    code, out, _ = run_cli(capsys, "sweep", "--help")
    assert code == 0
    for flag in ("--x", "--y", "--steps", "--start", "--tolerance", "--surface-param", "--convention", "--eps",
                 "--format"):
        assert flag in out


# ---------------------------------------------------------------------------------------------- basins


def test_basins_prints_one_row_per_start(capsys):
    # n = 3 over Himmelblau's [−5, 5]²: starts at −5, 0, 5 on each axis, x fastest. Every start ends
    # at one of the four minima (0–3) or is marked −1 (diverged) / −2 (not settled); the counts on
    # stderr cover the 9 starts.
    code, out, err = run_cli(capsys, "basins", "--surface", "himmelblau", "--optimizer", "sgd", "--lr", "0.002",
                             "--n", "3", "--steps", "1000")
    assert code == 0, err
    reader = list(csv.DictReader(io.StringIO(out)))
    assert list(reader[0]) == ["x", "y", "basin", "status", "final_x", "final_y", "final_loss"]
    assert len(reader) == 9
    assert [(float(r["x"]), float(r["y"])) for r in reader[:4]] == [(-5, -5), (0, -5), (5, -5), (-5, 0)]
    assert all(int(r["basin"]) in (-2, -1, 0, 1, 2, 3) for r in reader)
    assert err.startswith("# himmelblau · sgd · 3 × 3 starts: ") and err.count("\n") == 1
    counts = re.findall(r"(\d+) (?:at minimum \d|diverged|not settled)", err)
    assert len(counts) == 6 and sum(map(int, counts)) == 9


def test_basins_json_counts_cover_the_grid(capsys):
    code, out, _ = run_cli(capsys, "basins", "--surface", "quadratic", "--optimizer", "sgd", "--lr", "2",
                           "--n", "5", "--steps", "20", "--format", "json")
    assert code == 0
    data = json.loads(out)
    # η = 2: θ_t = (−3)^t θ_0 leaves ±200 from every start but the origin, which never moves.
    assert data["counts"] == {"0": 1, "-1": 24, "-2": 0}
    assert len(data["rows"]) == 25 and data["minima"] == [[0.0, 0.0]]


@pytest.mark.parametrize("extra, expected", [
    (("--n", "1"), "--n must be a whole number in [2, 500] (got 1)"),
    (("--n", "many"), "--n must be a whole number"),
    (("--start", "0", "0"), "--start"),
    (("--lr", "-1"), "--lr must be in (0, 100]"),
    (("--n", "500", "--steps", "100000"), "--steps: 250000 starts × 100000 steps"),
])
def test_bad_basins_flag_exits_2_with_one_line(capsys, extra, expected):
    code, out, err = run_cli(capsys, "basins", "--surface", "quadratic", "--optimizer", "sgd", *extra)
    assert code == 2 and out == "" and err.count("\n") == 1 and expected in err


# ------------------------------------------------------------------------------------------------ list


def test_list_mentions_every_surface_and_optimizer(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    for name in SURFACES:
        assert f"  {name}: {get_surface(name).description['en']}" in out
        for spec in PARAMETERS[name]:
            assert f"{spec.name} in {spec.range_text}, default {spec.default:g}" in out
    for name in OPTIMIZERS:
        assert f"  {name} (" in out
    assert "--lr in (0, 100]" in out and "--beta1 in [0, 1)" in out


def test_list_json_matches_the_registries(capsys):
    code, out, _ = run_cli(capsys, "list", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert list(data["surfaces"]) == list(SURFACES)
    assert list(data["optimizers"]) == list(OPTIMIZERS)
    for name, entry in data["surfaces"].items():
        surface = get_surface(name)
        assert entry["start"] == list(surface.start)
        assert entry["bounds"] == [list(axis) for axis in surface.bounds]
        assert entry["description"] == surface.description["en"]
        assert {k: (v["range"], v["default"]) for k, v in entry["parameters"].items()} == {
            p.name: (p.range_text, p.default) for p in PARAMETERS[name]}
    for name, entry in data["optimizers"].items():
        assert {k: (v["range"], v["default"]) for k, v in entry["hyperparameters"].items()} == {
            p.name: (p.range_text, p.default) for p in HYPERPARAMETERS[name]}
    assert data["optimizers"]["adamw"]["hyperparameters"]["weight_decay"]["flag"] == "--weight-decay"


# ------------------------------------------------------------------------------------- python -m optviz


def python_m(*argv, **kwargs):
    return subprocess.run([sys.executable, "-m", "optviz", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_module_entry_prints_the_trajectory():
    done = python_m("run", "--surface", "rosenbrock", "--optimizer", "adam", "--steps", "100")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("step,x,y,loss")
    assert len(lines) == 1 + 101
    assert lines[1].startswith("0,-1.2,1.0,")
    assert done.stderr == "# rosenbrock · adam · not converged in 100 steps\n"


def test_module_entry_sweep_prints_every_cell():
    done = python_m("sweep", "--surface", "quadratic", "--optimizer", "momentum", "--x", "lr:1e-3:3:6:log",
                    "--y", "beta:0:0.9:4", "--steps", "50")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "lr,beta,final_loss,steps_to_tol,status"
    assert len(lines) == 1 + 6 * 4
    assert done.stderr.startswith("# quadratic · momentum · 6 × 4 cells: ")


def test_module_entry_bad_sweep_spec_is_one_line_and_status_2():
    done = python_m("sweep", "--surface", "quadratic", "--optimizer", "momentum", "--x", "lr:0:1:10:log",
                    "--y", "beta:0:0.9:4")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "optviz: error: --x: lr axis: a log axis needs LOW > 0 (got 0)\n"


def test_module_entry_bad_flag_is_one_line_and_status_2():
    done = python_m("run", "--surface", "rosenbrock", "--optimizer", "sgd", "--lr", "-1")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == "optviz: error: --lr must be in (0, 100] (got -1)\n"


def test_reader_that_stops_early_is_not_a_traceback():
    # Like `| head -1`: 5000 rows are far more than a pipe buffer holds, so the writer meets the
    # closed pipe. Whether Python reports that on the first write or the next (status 1 or 0)
    # depends on timing; what must never appear is a traceback or a complaint at exit.
    proc = subprocess.Popen([sys.executable, "-m", "optviz", "run", "--surface", "quadratic", "--optimizer", "sgd",
                             "--steps", "5000", "--tol", "0"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("step,x,y,loss")
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) in (0, 1)
    assert err == "# quadratic · sgd · not converged in 5000 steps\n"


def test_reader_gone_before_any_output_gives_status_1():
    # The pipe is closed before the child has even imported NumPy, so its first write fails.
    proc = subprocess.Popen([sys.executable, "-m", "optviz", "list"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 1
    assert err == ""


# ------------------------------------------------------------------------------------------------ custom surfaces


def test_custom_surface_first_step_by_hand(capsys):
    # f = x² + 3 sin y − 0.5 x y; ∇f = (2x − 0.5y, 3 cos y − 0.5x). From (1, 0): ∇f = (2, 2.5);
    # SGD lr 0.1 moves to (1 − 0.2, 0 − 0.25) = (0.8, −0.25).
    code, out, _ = run_cli(capsys, "run", "--surface", "custom", "--expression", "x**2 + 3*sin(y) - 0.5*x*y",
                           "--optimizer", "sgd", "--lr", "0.1", "--start", "1", "0", "--steps", "1")
    assert code == 0
    row1 = out.splitlines()[2].split(",")
    assert float(row1[1]) == pytest.approx(0.8, abs=1e-15) and float(row1[2]) == pytest.approx(-0.25, abs=1e-15)


@pytest.mark.parametrize("argv, expected", [
    (["--expression", "__import__('os')"], "--expression: '__import__' is not allowed"),
    (["--expression", "x.real"], "--expression: attribute access"),
    ([], "--surface custom needs --expression"),
    (["--expression", "x**2", "--bounds", "1", "0", "-1", "1"], "--bounds"),
    (["--expression", "x**2", "--bounds", "a", "b", "c", "d"], "--bounds must be four numbers"),
    (["--expression", "x**2", "--surface-param", "k=1"], "--surface-param does not apply"),
])
def test_custom_surface_errors_are_one_line(capsys, argv, expected):
    code, out, err = run_cli(capsys, "run", "--surface", "custom", "--optimizer", "sgd", *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and expected in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------------ render


def test_render_writes_each_kind(capsys, tmp_path):
    for suffix, magic in ((".gif", b"GIF89a"), (".png", b"\x89PNG"), (".html", b"<html"), (".csv", b"run,")):
        out = tmp_path / f"race{suffix}"
        code, _, err = run_cli(capsys, "render", "--surface", "quadratic", "--optimizer", "sgd:lr=0.1",
                               "--optimizer", "adam:lr=0.05", "--steps", "20", "--out", str(out))
        assert code == 0, err
        assert magic in out.read_bytes()[:200]


@pytest.mark.parametrize("argv, expected", [
    (["--out", "x.txt", "--optimizer", "sgd"], "must end in"),
    (["--out", "x.gif"], "at least one --optimizer"),
    (["--out", "x.gif", "--optimizer", "sgd:lr=-1"], "--optimizer"),
    (["--out", "x.gif", "--optimizer", "nope"], "--optimizer"),
    (["--out", "x.gif", "--optimizer", "sgd", "--step", "3"], "--step"),
])
def test_render_errors_are_one_line(capsys, tmp_path, argv, expected):
    argv = [str(tmp_path / a) if a.startswith("x.") else a for a in argv]
    code, out, err = run_cli(capsys, "render", *argv)
    assert code == 2 and err.count("\n") == 1 and expected in err and "Traceback" not in err


# ------------------------------------------------------------------- --optimizer NAME[:KEY=VALUE,...]
# One language on every command: a spec says what the shorthand flags say, byte for byte.

@pytest.mark.parametrize("spec, flags", [
    ("sgd:lr=0.1", ("--lr", "0.1")),
    ("momentum:lr=0.1,b=0.5,c=textbook", ("--lr", "0.1", "--beta", "0.5", "--convention", "textbook")),
    ("adam:lr=0.1,bc=0,eps=0", ("--lr", "0.1", "--no-bias-correction", "--eps", "0")),
    ("sgd:lr=0.1,sch=step:1:0.5,noise=0.5,seed=7",
     ("--lr", "0.1", "--schedule", "step:1:0.5", "--noise", "0.5", "--seed", "7")),
    ("adamw:weight_decay=0.1,beta1=0.8", ("--weight-decay", "0.1", "--beta1", "0.8")),  # long names too
    ("sgd:lr=0.1,lb=ignored by run", ("--lr", "0.1")),  # a label names a contestant in render's pictures only
])
@pytest.mark.parametrize("command", [
    ("run", "--start", "1", "2", "--steps", "3"),
    ("run", "--start", "1", "2", "--steps", "3", "--format", "json"),
    ("basins", "--n", "3", "--steps", "5", "--format", "json"),
], ids=["run", "run-json", "basins"])
def test_a_spec_runs_as_its_shorthand_flags(capsys, command, spec, flags):
    name = spec.partition(":")[0]
    base = (command[0], "--surface", "quadratic", *command[1:])
    assert run_cli(capsys, *base, "--optimizer", spec) == run_cli(capsys, *base, "--optimizer", name, *flags)


def test_a_spec_reaches_the_optimizer(capsys):
    # textbook momentum, β = 0.5: v1 = (1 − β) g = 1, so x1 = 1 − 0.1 · 1 = 0.9 (the flags' test, above)
    rows, _ = run_rows(capsys, "--surface", "quadratic", "--optimizer", "momentum:lr=0.1,b=0.5,c=textbook",
                       "--start", "1", "0", "--steps", "1")
    assert rows[1]["x"] == pytest.approx(0.9)
    # a schedule in link spelling: step~1~0.5 halves the rate after each update, x = 1, 0.8, 0.72
    code, out, _ = run_cli(capsys, "run", "--surface", "quadratic", "--optimizer", "sgd:lr=0.1,sch=step~1~0.5",
                           "--start", "1", "0", "--steps", "2", "--format", "json")
    data = json.loads(out)
    assert [r["x"] for r in data["rows"]] == pytest.approx([1.0, 0.8, 0.72])
    assert data["hyperparameters"]["schedule"] == "step~1~0.5"  # as typed, like --schedule


def test_a_spec_and_flags_mix_when_they_set_different_things(capsys):
    mixed = run_cli(capsys, "run", "--surface", "quadratic", "--optimizer", "momentum:b=0.5", "--lr", "0.1",
                    "--steps", "3")
    assert mixed == run_cli(capsys, "run", "--surface", "quadratic", "--optimizer", "momentum", "--beta", "0.5",
                            "--lr", "0.1", "--steps", "3")


def test_sweep_takes_a_spec_for_its_fixed_settings(capsys):
    grid = ("sweep", "--surface", "quadratic", "--x", "lr:0.1:0.2:2", "--y", "weight_decay:0:2:2", "--start", "1", "0",
            "--steps", "1", "--format", "json")
    by_spec = run_cli(capsys, *grid, "--optimizer", "momentum:b=0.5,c=textbook")
    assert by_spec == run_cli(capsys, *grid, "--optimizer", "momentum", "--beta", "0.5", "--convention", "textbook")
    fixed = json.loads(by_spec[1])["fixed"]
    assert fixed == {"convention": "textbook", "noise": 0.0, "seed": 0, "bias_correction": True, "beta": 0.5,
                     "schedule": None}
    # the cells of the flags' test above: 0.81, 0.64, 0.64, 0.36
    assert [r["final_loss"] for r in json.loads(by_spec[1])["rows"]] == pytest.approx([0.81, 0.64, 0.64, 0.36])


def test_render_names_each_contestant_by_its_spec(capsys, tmp_path):
    out = tmp_path / "race.csv"
    code, _, err = run_cli(capsys, "render", "--surface", "quadratic", "--optimizer", "adam:lr=0.05,lb=Fast",
                           "--optimizer", "adam", "--optimizer", "ADAM:lr=0.2", "--steps", "2", "--out", str(out))
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [row["label"] for row in table if row["step"] == "0"] == ["Fast", "Adam", "Adam (2)"]
    # Adam's first step is −lr per coordinate (bias corrected): from (1.5, 1) to 1.5 − lr
    first = {row["run"]: float(row["x"]) for row in table if row["step"] == "1"}
    assert first == pytest.approx({"0": 1.45, "1": 1.499, "2": 1.3})


SPEC_ERRORS = [
    # (argv after the command and --surface quadratic, the whole message)
    (("--optimizer", "conjugate_gradient"),
     "--optimizer: unknown optimizer 'conjugate_gradient'; choose from: " + ", ".join(OPTIMIZERS)),
    (("--optimizer", "sgd:lr=-1"), "--optimizer lr must be in (0, 100] (got -1)"),
    (("--optimizer", "sgd:lr"), "--optimizer: 'lr' is not KEY=VALUE (in 'sgd:lr')"),
    (("--optimizer", "sgd:b1=0.9"), "--optimizer b1 does not apply to sgd; it takes: lr, wd"),
    (("--optimizer", "sgd:bc=0"), "--optimizer bc applies only to adam, adamw (got sgd)"),
    (("--optimizer", "sgd:c=jax"), "--optimizer c must be one of pytorch, keras, textbook (got jax)"),
    (("--optimizer", "sgd:sch=linear"), "--optimizer sch: unknown schedule 'linear'"),
    (("--optimizer", "sgd:seed=-1"), "--optimizer seed must be a whole number in [0, 2147483647] (got -1)"),
    (("--optimizer", "sgd:lb=<i>"), "--optimizer lb: a label may hold letters"),
    (("--optimizer", "sgd:lr=0.1", "--lr", "0.2"), "--lr and --optimizer lr both set lr; drop one of them"),
    (("--optimizer", "sgd:lr=0.1,lr=0.2"), "--optimizer lr is given twice; drop one of them"),
    (("--convention", "jax"), "--convention must be one of pytorch, keras, textbook (got jax)"),
]


@pytest.mark.parametrize("command", ["run", "basins", "sweep"])
@pytest.mark.parametrize("argv, message", SPEC_ERRORS, ids=[" ".join(a) for a, _ in SPEC_ERRORS])
def test_a_bad_spec_is_one_line_naming_its_key(capsys, command, argv, message):
    if "--optimizer" not in argv:
        argv = ("--optimizer", "sgd", *argv)
    grid = ("--x", "weight_decay:0:1:2", "--y", "lr:0.01:0.02:2") if command == "sweep" else ()
    code, out, err = run_cli(capsys, command, "--surface", "quadratic", *grid, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"optviz: error: {message}") and err.count("\n") == 1, err


@pytest.mark.parametrize("command", ["run", "sweep", "basins"])
def test_run_sweep_and_basins_take_one_optimizer(capsys, command):
    grid = ("--x", "lr:0.1:0.2:2", "--y", "weight_decay:0:1:2") if command == "sweep" else ()
    code, _, err = run_cli(capsys, command, "--surface", "quadratic", *grid, "--optimizer", "sgd",
                           "--optimizer", "adam")
    assert code == 2
    assert err == f"optviz: error: {command} runs one --optimizer (got 2); render races several\n"


def test_a_swept_hyperparameter_cannot_be_fixed_by_the_spec_either(capsys):
    code, _, err = run_cli(capsys, "sweep", "--surface", "quadratic", "--optimizer", "sgd:lr=0.1",
                           "--x", "lr:0.1:1:3", "--y", "weight_decay:0:1:2")
    assert code == 2 and err == "optviz: error: --optimizer lr is swept by --x; drop one of them\n"


@pytest.mark.parametrize("argv, message", [
    (("--optimizer", "sgd:lr=-1"), "--optimizer lr must be in (0, 100] (got -1)"),
    (("--optimizer", "sgd", "--optimizer", "nope"), "--optimizer: unknown optimizer 'nope'"),
    (("--optimizer", "sgd", "--steps", "2001"), "--steps must be a whole number in [1, 2000] (got 2001)"),
    (("--optimizer", "sgd",) * 13, "at most 12 optimizers race (got 13)"),
])
def test_render_refuses_what_a_race_cannot_hold(capsys, tmp_path, argv, message):
    code, _, err = run_cli(capsys, "render", "--surface", "quadratic", *argv, "--out", str(tmp_path / "race.csv"))
    assert code == 2 and err.startswith(f"optviz: error: {message}") and err.count("\n") == 1, err
    assert not (tmp_path / "race.csv").exists()


# --------------------------------------------------------------------------------------------- limits


@pytest.mark.parametrize("argv, message", [
    (QUAD_SGD + ("--seed", "2147483648"), "--seed must be a whole number in [0, 2147483647] (got 2147483648)"),
    (("run", "--surface", "custom", "--expression", "x^2", "--bounds", "-2000", "3", "-3", "3", "--optimizer", "sgd"),
     "--bounds: x bounds must be within ±1000 (got -2000, 3)"),
    (("run", "--surface", "custom", "--expression", "x^2" + " + y" * 75, "--optimizer", "sgd"),
     "--expression: f(x, y) has at most 300 characters (got 303)"),
])
def test_the_command_line_keeps_the_apps_limits(capsys, argv, message):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and err == f"optviz: error: {message}\n"


# ------------------------------------------------------------------------------------- list, by group


def _blocks_by_heading(out: str) -> dict[str, dict[str, list[str]]]:
    """The optimizer part of ``list``: heading -> optimizer name -> its indented lines, in the printed order."""
    part = out.split("optimizers (--optimizer NAME), by group:\n", 1)[1].split("\nevery optimizer also takes:")[0]
    blocks: dict[str, dict[str, list[str]]] = {}
    heading = name = None
    for line in part.splitlines():
        if line and not line.startswith(" "):
            heading = line.removesuffix(":")
            blocks[heading] = {}
        elif line.startswith("  ") and not line.startswith("   "):
            name = line.split()[0]
            blocks[heading][name] = [line]
        elif line:
            blocks[heading][name].append(line)
    return blocks


def test_list_prints_each_optimizer_under_its_group_with_conventions_and_ranges(capsys):
    from optviz.optimizers import SPECS
    from optviz.optimizers.base import GROUPS

    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    blocks = _blocks_by_heading(out)
    used = [key for key in GROUPS if any(spec.group == key for spec in SPECS.values())]
    assert list(blocks) == [GROUPS[key].en for key in used]  # the picker's order; no empty heading
    for heading, members in blocks.items():
        (key,) = [k for k in used if GROUPS[k].en == heading]
        assert list(members) == [name for name, spec in SPECS.items() if spec.group == key]  # registry order within
        for name, lines in members.items():
            spec = SPECS[name]
            assert lines[0] == f"  {name} ({spec.display_name}): {spec.description.en}"
            assert lines[1] == "      --convention " + "|".join(spec.conventions)
            for p in HYPERPARAMETERS[name]:
                flag = "--" + p.name.replace("_", "-")
                assert f"      {flag} in {p.range_text}, default {p.default:g} — {p.help}" in lines, (name, p.name)
            assert ("      --no-bias-correction  skip the bias correction of both moments" in lines) == \
                spec.bias_correction


def test_list_json_gives_each_optimizers_group_conventions_and_description(capsys):
    from optviz.optimizers import SPECS
    from optviz.optimizers.base import GROUPS

    code, out, _ = run_cli(capsys, "list", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["groups"] == {key: heading.en for key, heading in GROUPS.items()}
    for name, entry in data["optimizers"].items():
        spec = SPECS[name]
        assert (entry["group"], entry["conventions"], entry["description"]) == (
            spec.group, list(spec.conventions), spec.description.en)
        assert entry["group"] in data["groups"]
