"""Write ``keras_trajectories.json``: Keras 3 optimizer trajectories that OptViz must reproduce.

Run from the repository root (needs keras and jax, which the test suite itself does not):

    pip install keras jax jaxlib
    python tests/reference/make_keras_reference.py

The JAX backend runs in float64 (``jax_enable_x64`` and ``floatx = "float64"``). Keras 3's
numpy backend also applies gradients, but its first Adam step on x² + y² from (1, 2) at
lr 0.1 came out 8e-7 off the float64 hand value lr·|g|/(|g| + ε/sqrt(1-β2)), so it is not
used. Gradients are the analytic formulas written out below, handed to
``optimizer.apply_gradients``; neither OptViz's optimizers nor its surfaces take part.

Each case stores the Keras class and keyword arguments, the matching OptViz optimizer name
and keyword arguments (``convention="keras"``), the schedule in both spellings, the
learning rate each step used, and ``positions``: (steps+1, 2), the start first.
"""
from __future__ import annotations

import math
import os
import json
import platform
import sys
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_ENABLE_X64"] = "1"

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import keras  # noqa: E402
import numpy as np  # noqa: E402

keras.config.set_floatx("float64")

OUT = Path(__file__).with_name("keras_trajectories.json")
STEPS = 50
LIMIT = 50.0


def quadratic_grad(x, y):
    """f = x² + y²."""
    return 2 * x, 2 * y


def rosenbrock_grad(x, y):
    """f = (1 - x)² + 100 (y - x²)²."""
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def saddle_grad(x, y):
    """f = x²/2 + y⁴/4 - y²/2."""
    return x, y**3 - y


GRADS = {"quadratic": quadratic_grad, "rosenbrock": rosenbrock_grad, "saddle": saddle_grad}
STARTS = {
    "quadratic": [(1.5, 1.0), (-0.8, 0.3)],
    "rosenbrock": [(-1.2, 1.0), (0.5, -0.5)],
    "saddle": [(-1.5, 0.1), (1.0, -0.5)],
}
SMOOTH, ROSEN = "smooth", "rosenbrock"


def sgd_family(kind):
    """(keras kwargs, optviz kwargs) sets; kind is "sgd", "momentum" or "nesterov"."""
    def kw(lr, wd=None, beta=0.9):
        k = {"learning_rate": lr, "weight_decay": wd}
        o = {"lr": lr, "weight_decay": wd or 0.0}
        if kind != "sgd":
            k.update(momentum=beta, nesterov=kind == "nesterov")
            o["beta"] = beta
        return k, o

    sets = {SMOOTH: {"default": kw(0.05), "large_lr": kw(0.3 if kind == "sgd" else 0.15),
                     "weight_decay": kw(0.05, 0.2)},
            ROSEN: {"default": kw(1e-3), "large_lr": kw(1.4e-3), "weight_decay": kw(1e-3, 0.5)}}
    if kind != "sgd":
        sets[SMOOTH]["beta_0.5"] = kw(0.1, beta=0.5)
        sets[ROSEN]["beta_0.5"] = kw(1e-3, beta=0.5)
    return sets


def same(sets):
    return {SMOOTH: sets, ROSEN: sets}


def adagrad(lr, eps=1e-7, wd=None):
    return ({"learning_rate": lr, "initial_accumulator_value": 0.1, "epsilon": eps, "weight_decay": wd},
            {"lr": lr, "eps": eps, "weight_decay": wd or 0.0})


def rmsprop(lr, rho=0.9, eps=1e-7, wd=None):
    return ({"learning_rate": lr, "rho": rho, "momentum": 0.0, "epsilon": eps, "centered": False,
             "weight_decay": wd}, {"lr": lr, "beta": rho, "eps": eps, "weight_decay": wd or 0.0})


def adadelta(lr, rho=0.95, eps=1e-7, wd=None):
    return ({"learning_rate": lr, "rho": rho, "epsilon": eps, "weight_decay": wd},
            {"lr": lr, "beta": rho, "eps": eps, "weight_decay": wd or 0.0})


def adam_kw(lr, betas=(0.9, 0.999), eps=1e-7, wd=None):
    return ({"learning_rate": lr, "beta_1": betas[0], "beta_2": betas[1], "epsilon": eps, "amsgrad": False,
             "weight_decay": wd},
            {"lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": wd or 0.0})


OPTIMIZERS = [
    ("sgd", "SGD", sgd_family("sgd")),
    ("momentum", "SGD", sgd_family("momentum")),
    ("nesterov", "SGD", sgd_family("nesterov")),
    ("adagrad", "Adagrad", same({"default": adagrad(0.1), "large_lr": adagrad(0.5),
                                 "weight_decay": adagrad(0.1, wd=0.3)})),
    ("rmsprop", "RMSprop", same({"default": rmsprop(0.01), "rho_0.99": rmsprop(0.01, rho=0.99),
                                 "weight_decay": rmsprop(0.01, wd=0.3), "eps_1e-3": rmsprop(0.02, eps=1e-3)})),
    ("adadelta", "Adadelta", same({"default": adadelta(1.0), "rho_0.9_eps_1e-6": adadelta(0.5, 0.9, 1e-6),
                                   "weight_decay": adadelta(1.0, wd=0.3)})),
    ("adam", "Adam", same({"default": adam_kw(0.01), "large_lr": adam_kw(0.1),
                           "weight_decay": adam_kw(0.01, wd=0.3),
                           "betas_eps": adam_kw(0.05, betas=(0.8, 0.99), eps=1e-4)})),
    ("adamw", "AdamW", same({"default": adam_kw(0.01, wd=0.004), "weight_decay": adam_kw(0.01, wd=0.5),
                             "betas_eps": adam_kw(0.05, betas=(0.5, 0.9), eps=1e-3, wd=0.1)})),
]

# (keras schedule class, its kwargs as a function of the base lr, OptViz schedule spec)
SCHEDULES = [
    ("ExponentialDecay", lambda lr: {"initial_learning_rate": lr, "decay_steps": 1, "decay_rate": 0.95},
     {"kind": "exponential", "gamma": 0.95}),
    ("ExponentialDecay", lambda lr: {"initial_learning_rate": lr, "decay_steps": 10, "decay_rate": 0.5,
                                     "staircase": True},
     {"kind": "step_decay", "every": 10, "factor": 0.5}),
    # 30 < STEPS: both stay at the floor after it. Keras evaluates this one in float32 whatever
    # floatx is (ops.cos takes dtypes.result_type(x.dtype, float), and _lattice_result_type in
    # keras/src/backend/common/dtypes.py maps every 64-bit result to 32 bits), so its cases
    # carry lr_dtype "float32" and are compared at float32 precision.
    ("CosineDecay", lambda lr: {"initial_learning_rate": lr, "decay_steps": 30, "alpha": 0.1},
     {"kind": "cosine", "period": 30, "floor": 0.1}),
]
SCHEDULED = [("sgd", "default"), ("momentum", "default"), ("adam", "large_lr"), ("adadelta", "default")]


def run(grad_fn, keras_class, keras_kwargs, start, steps, schedule=None):
    """positions (steps+1, 2) and the lr of each of the steps updates."""
    kwargs = dict(keras_kwargs)
    if schedule is not None:
        name, skw = schedule
        kwargs["learning_rate"] = getattr(keras.optimizers.schedules, name)(**skw)
    opt = getattr(keras.optimizers, keras_class)(**kwargs)
    var = keras.Variable(np.array(start, dtype=np.float64), dtype="float64")
    assert var.dtype == "float64"
    positions, lrs = [[float(v) for v in keras.ops.convert_to_numpy(var.value)]], []
    lr_dtype = str(keras.ops.convert_to_numpy(opt.learning_rate).dtype)
    for _ in range(steps):
        x, y = positions[-1]
        grad = np.array(grad_fn(x, y), dtype=np.float64)
        lrs.append(float(keras.ops.convert_to_numpy(opt.learning_rate)))
        opt.apply_gradients([(keras.ops.convert_to_tensor(grad, dtype="float64"), var)])
        value = keras.ops.convert_to_numpy(var.value)
        assert value.dtype == np.float64
        positions.append([float(v) for v in value])
    if not all(math.isfinite(v) and abs(v) < LIMIT for p in positions for v in p):
        raise RuntimeError(f"{keras_class}{keras_kwargs} from {start} left the box; choose other hyperparameters")
    return positions, lrs, lr_dtype


def check_conditioning(grad_fn, keras_class, keras_kwargs, start, steps, schedule, positions):
    """Refuse a chaotic reference: nudging the start by ~1e-15 must move no point by more than 1e-11.

    The tests compare at rtol 1e-9; a run that amplifies rounding that much could fail them
    for no fault of OptViz.
    """
    nudged = (start[0] * (1 + 1e-15) + 1e-16, start[1] * (1 - 1e-15) - 1e-16)
    other, *_ = run(grad_fn, keras_class, keras_kwargs, nudged, steps, schedule)
    worst = max(abs(a - b) / max(abs(a), 1.0) for p, q in zip(positions, other) for a, b in zip(p, q))
    if worst > 1e-11:
        raise RuntimeError(f"{keras_class}{keras_kwargs} from {start} amplifies rounding ({worst:.1e}); "
                           "choose other hyperparameters")


def check_float64() -> None:
    """Adam's first step on x² + y² from (1, 2), lr 0.1, against the float64 hand value.

    Step 1 moves each coordinate by lr·sqrt(1-β2)·|g| / (sqrt(1-β2)·|g| + ε) (Keras's ε-hat form).
    """
    positions, *_ = run(quadratic_grad, "Adam", {"learning_rate": 0.1}, (1.0, 2.0), 1)
    for p0, p1 in zip((1.0, 2.0), positions[1]):
        g, c = 2 * p0, math.sqrt(1 - 0.999)
        expected = p0 - 0.1 * c * g / (c * g + 1e-7)
        assert abs(p1 - expected) <= 1e-15 * abs(expected), (p1, expected)


def main() -> None:
    check_float64()
    cases = []
    for name, keras_class, sets in OPTIMIZERS:
        for surface in GRADS:
            group = ROSEN if surface == "rosenbrock" else SMOOTH
            for set_name, (kkw, okw) in sets[group].items():
                starts = STARTS[surface] if set_name == "default" else STARTS[surface][:1]
                for start in starts:
                    positions, *_ = run(GRADS[surface], keras_class, kkw, start, STEPS)
                    check_conditioning(GRADS[surface], keras_class, kkw, start, STEPS, None, positions)
                    cases.append({"id": f"{name}-{set_name}-{surface}-{start[0]:g},{start[1]:g}",
                                  "optimizer": name, "optviz_kwargs": okw, "schedule": None,
                                  "keras_class": keras_class, "keras_kwargs": kkw, "keras_schedule": None,
                                  "surface": surface, "start": list(start), "steps": STEPS,
                                  "positions": positions})
    by_name = {name: (keras_class, sets) for name, keras_class, sets in OPTIMIZERS}
    for name, set_name in SCHEDULED:
        keras_class, sets = by_name[name]
        for surface in ("quadratic", "rosenbrock"):
            group = ROSEN if surface == "rosenbrock" else SMOOTH
            kkw, okw = sets[group][set_name]
            start = STARTS[surface][0]
            for sched_name, sched_kwargs, spec in SCHEDULES:
                skw = sched_kwargs(kkw["learning_rate"])
                positions, lrs, lr_dtype = run(GRADS[surface], keras_class, kkw, start, STEPS, (sched_name, skw))
                check_conditioning(GRADS[surface], keras_class, kkw, start, STEPS, (sched_name, skw), positions)
                cases.append({"id": f"{name}-{set_name}-{surface}-{spec['kind']}",
                              "optimizer": name, "optviz_kwargs": okw, "schedule": spec,
                              "keras_class": keras_class, "keras_kwargs": kkw,
                              "keras_schedule": {"class": sched_name, "kwargs": skw},
                              "surface": surface, "start": list(start), "steps": STEPS,
                              "lr_dtype": lr_dtype, "lrs": lrs, "positions": positions})
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    header = {"generator": "tests/reference/make_keras_reference.py", "keras_version": keras.__version__,
              "backend": keras.backend.backend(), "jax_version": jax.__version__,
              "python": sys.version.split()[0], "platform": platform.machine(), "dtype": keras.config.floatx(),
              "surfaces": {"quadratic": "x^2 + y^2", "rosenbrock": "(1 - x)^2 + 100 (y - x^2)^2",
                           "saddle": "x^2/2 + y^4/4 - y^2/2"},
              "note": "positions[k] is the point after k optimizer steps; lrs[k] the lr step k+1 used "
                      "(lr_dtype: the precision Keras computed it in); weight_decay null means none"}
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    OUT.write_text("{\"meta\": " + json.dumps(header) + ",\n\"cases\": [\n" + lines + "\n]}\n")
    print(f"wrote {len(cases)} trajectories to {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
