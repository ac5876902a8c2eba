"""The command line, run in-process through ``main([...])`` and, a few times, as ``python -m optviz``.

Every expected number is derived by hand in the comment next to it. On the quadratic x² + y²
(gradient 2θ) gradient descent is θ_t = (1 − 2η_t) θ_{t−1}; Rosenbrock's start (−1.2, 1) has
loss (1 + 1.2)² + 100 (1 − 1.44)² = 4.84 + 19.36 = 24.2.
"""
import csv
import io
import json
import math
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
    assert err == "# rosenbrock · adam · running\n"


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


def test_convergence_is_in_the_status(capsys):
    # Newton with η = 1 on x² + y²: θ1 = θ0 − (2I)⁻¹ 2θ0 = 0. Step 1 is still large (|θ0|), step 2
    # is zero with a zero gradient, so the run converges at step 2.
    code, out, err = run_cli(capsys, "run", "--surface", "quadratic", "--optimizer", "newton",
                             "--steps", "5", "--format", "json")
    assert code == 0
    assert json.loads(out)["status"] == "converged at step 2"
    assert err == "# quadratic · newton · converged at step 2\n"


# ------------------------------------------------------------------------------------------ run, JSON


def test_json_has_the_same_rows_as_csv_and_the_settings(capsys):
    args = ("run", "--surface", "rosenbrock", "--optimizer", "adam", "--lr", "0.01", "--steps", "20")
    _, text, _ = run_cli(capsys, *args)
    code, out, _ = run_cli(capsys, *args, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["rows"] == csv_rows(text)
    assert data["surface"] == "rosenbrock" and data["optimizer"] == "adam"
    assert data["status"] == "running"
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
    (("run", "--surface", "quadratic", "--optimizer", "lbfgs"), "--optimizer"),
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
    assert done.stderr == "# rosenbrock · adam · running\n"


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
    assert err == "# quadratic · sgd · running\n"


def test_reader_gone_before_any_output_gives_status_1():
    # The pipe is closed before the child has even imported NumPy, so its first write fails.
    proc = subprocess.Popen([sys.executable, "-m", "optviz", "list"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 1
    assert err == ""
