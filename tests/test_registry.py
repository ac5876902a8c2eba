"""Every optimizer module is complete: the registry finds it, and nothing it owes the rest of OptViz is missing.

An optimizer is one module of ``optviz/optimizers`` with a ``SPEC``. These tests enumerate the
registry, so a new module is checked the moment it exists: its rule written as maths in its
builder's docstring, every spec field, both languages, ladders that hold the defaults, link
codes that cannot collide, an explanation that redoes the recorded step in every convention it
declares, a tuning hint, and a torch counterpart with recorded reference trajectories (or a
reason why there is none).
"""
from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re

import numpy as np
import pytest

import optviz.optimizers
from helpers import torch_reference
from optviz import controls, share
from optviz.classroom.explain import explain_step
from optviz.i18n import CATALOG, LANGUAGES
from optviz.optimizers import CONVENTIONS, HYPER_BY_NAME, SPECS, make_optimizer
from optviz.optimizers.base import GROUPS, Hyper, OptimizerSpec, Text, TorchCounterpart, TuningHint
from optviz.race import OptimizerConfig, RaceConfig, run_race

TORCH = torch_reference()
SUPPORT_MODULES = {"base", "explaining", "hyperparameters", "noise"}  # the package's modules that are no optimizer
NAMES = list(SPECS)
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_module_but_the_support_ones_is_an_optimizer():
    modules = {m.name for m in pkgutil.iter_modules(optviz.optimizers.__path__)}
    with_spec = {name for name in modules
                 if isinstance(getattr(importlib.import_module(f"optviz.optimizers.{name}"), "SPEC", None), OptimizerSpec)}
    assert with_spec == modules - SUPPORT_MODULES
    assert set(SPECS) == with_spec  # and each spec is named after its module


def test_order_is_explicit_and_unique():
    orders = [spec.order for spec in SPECS.values()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert NAMES[:9] == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "newton"]


@pytest.mark.parametrize("name", NAMES)
def test_spec_fields(name):
    spec = SPECS[name]
    assert spec.name == name and re.fullmatch(r"[a-z][a-z0-9_]*", name)
    assert spec.display_name.strip() and "~" not in spec.display_name
    assert spec.group in GROUPS  # its heading in the picker
    assert spec.hyperparameters and all(isinstance(h, Hyper) for h in spec.hyperparameters)
    assert spec.hyperparameters[0].name == "lr"  # the tuner, the sweeps and the lessons need one
    assert len({h.name for h in spec.hyperparameters}) == len(spec.hyperparameters)
    assert callable(spec.build) and callable(spec.explain)
    assert isinstance(spec.tuning, TuningHint)
    assert spec.tuning.step_cap is None or (spec.tuning.tune_lr and 0 < spec.tuning.step_cap < 1)
    assert spec.conventions and set(spec.conventions) <= set(CONVENTIONS) and "pytorch" in spec.conventions
    assert set(spec.memory) <= set(spec.internals)
    assert set(spec.plotted) <= set(spec.internals) and set(spec.map_points) <= set(spec.internals)
    if spec.memory:  # the explanation's note names them
        assert all(spec.memory_symbols(c).strip() for c in spec.conventions)


@pytest.mark.parametrize("name", NAMES)
def test_the_builder_is_what_the_spec_says(name):
    spec = SPECS[name]
    parameters = inspect.signature(spec.build).parameters
    defaults = {h.name: h.default for h in spec.hyperparameters}
    assert {k: p.default for k, p in parameters.items() if k in defaults} == defaults
    keywords = set(defaults) | {"convention", "schedule"} | ({"bias_correction"} if spec.bias_correction else set())
    assert set(parameters) == keywords
    optimizer = make_optimizer(name)
    assert optimizer.name == name and optimizer.needs_hessian == spec.needs_hessian
    state = optimizer.init(np.zeros((3, 2)))  # (runs, 2)
    assert set(optimizer.internals(state)) == set(spec.internals)


@pytest.mark.parametrize("name", NAMES)
def test_the_builder_docstring_writes_the_rule_as_maths(name):
    """torch.optim's algorithm box: input, (initialize,) for t = 1, 2, …, the update, return; then references."""
    doc = inspect.getdoc(SPECS[name].build)
    inputs, _, loop = doc[doc.index("input:"):].partition("for t = 1, 2, … do")
    assert loop and "return θ_t" in loop
    assert "η_t ← η·s(t−1)" in loop and "g_t ← ∇f(θ_{t−1})" in loop and "θ_t ←" in loop
    for h in SPECS[name].hyperparameters:
        assert re.search(rf"\b{h.name}\b", inputs), f"the box's input names {h.name}"
    assert "Reference" in doc and "torch" in doc  # where it comes from, and how the frameworks' versions differ


@pytest.mark.parametrize("name", NAMES)
def test_every_text_in_every_language(name):
    spec = SPECS[name]
    texts = [spec.description] + [t for h in spec.hyperparameters for t in (h.label, h.help)]
    texts += [spec.explain_note] if spec.explain_note else []
    for text in texts:
        assert isinstance(text, Text) and set(text._fields) == set(LANGUAGES)
        assert all(text(lang).strip() for lang in LANGUAGES)
    assert CJK.search(spec.description.zh) and CJK.search(spec.hyperparameters[0].help.zh)
    if spec.explain_note:
        assert re.findall(r"{(\w+)}", spec.explain_note.en) == re.findall(r"{(\w+)}", spec.explain_note.zh)
    for h in spec.hyperparameters:
        assert CATALOG[f"opt.{h.name}"] == h.label._asdict()  # the app's labels are the spec's


@pytest.mark.parametrize("name", NAMES)
def test_ladders_hold_the_defaults_inside_the_range(name):
    for h in SPECS[name].hyperparameters:
        assert list(h.ladder) == sorted(set(h.ladder)), h.name
        for notch in h.ladder:
            h.parameter.check(notch)
        h.parameter.check(h.default)
        assert h.default in h.ladder or controls.snap(h.name, h.default) in h.ladder, h.name
        assert controls.default_value(name, h.name) in controls.LADDERS[h.name]
        low, high, _ = h.sweep
        h.parameter.check(low), h.parameter.check(high)
        assert low < high


def test_a_hyperparameter_name_means_the_same_everywhere():
    """Links, sliders, labels and sweeps are keyed by name, so optimizers sharing one must agree on them."""
    for spec in SPECS.values():
        for h in spec.hyperparameters:
            first = HYPER_BY_NAME[h.name]
            shared = (h.ladder, h.log, h.link, h.label, h.sweep, h.low, h.high, h.low_open, h.high_open)
            assert shared == (first.ladder, first.log, first.link, first.label, first.sweep, first.low, first.high,
                              first.low_open, first.high_open), (spec.name, h.name)


def test_link_codes_are_unique_and_never_another_setting():
    codes = [h.link for h in HYPER_BY_NAME.values()]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*", code) for code in codes)
    others = set(share.SETTINGS)  # convention, schedule, noise, label, ... by short and long name
    assert not (set(codes) | set(HYPER_BY_NAME)) & others
    assert set(share.SHORT.values()) == set(codes)


def test_the_links_of_today_keep_their_codes():
    """Old links must decode: these codes are in shared links out there."""
    assert {name: share.SHORT[name] for name in ("lr", "beta", "beta1", "beta2", "eps", "weight_decay", "damping")} == {
        "lr": "lr", "beta": "b", "beta1": "b1", "beta2": "b2", "eps": "eps", "weight_decay": "wd", "damping": "damp"}


def _explained_cases():
    for name, spec in SPECS.items():
        for convention in spec.conventions:
            yield name, convention, True
            if spec.bias_correction:
                yield name, convention, False


@pytest.mark.parametrize("name,convention,bias_correction", list(_explained_cases()))
def test_explain_redoes_every_step_of_a_short_run(name, convention, bias_correction):
    spec = SPECS[name]
    values = {"weight_decay": 0.1} if any(h.name == "weight_decay" for h in spec.hyperparameters) else {}
    cfg = OptimizerConfig(name, convention=convention, bias_correction=bias_correction).with_values(**values)
    traj = run_race(RaceConfig("himmelblau", start=(-0.5, 0.5), steps=4, optimizers=(cfg,)))
    assert traj.status[0] == "running"
    for step in range(1, 5):
        e = explain_step(cfg, traj, 0, step, digits=None)
        assert e.status == "moved" and e.reproduces is True, (step, e.notes)
        assert e.substituted_latex[-2].startswith(f"x_{{{step}}} = ") and e.substituted_latex[-1].startswith(
            f"y_{{{step}}} = ")
        zh = explain_step(cfg, traj, 0, step, lang="zh")
        assert all(CJK.search(note) for note in zh.notes)


def test_undeclared_conventions_are_refused():
    for name, spec in SPECS.items():
        for convention in set(CONVENTIONS) - set(spec.conventions):
            with pytest.raises(ValueError, match="convention"):
                make_optimizer(name, convention=convention)


@pytest.mark.parametrize("name", NAMES)
def test_torch_counterpart_or_a_reason(name):
    spec = SPECS[name]
    if spec.torch is None:
        assert len(spec.no_torch.split()) >= 5, "say why torch.optim has no counterpart"
        return
    assert isinstance(spec.torch, TorchCounterpart) and not spec.no_torch
    assert set(spec.torch.reference_sets) == {"smooth", "rosenbrock"}
    for group in spec.torch.reference_sets.values():
        assert "default" in group  # the set run from every start
        for hyper in group.values():
            assert set(hyper) == {h.name for h in spec.hyperparameters}
            make_optimizer(name, **hyper)  # valid OptViz values
            assert isinstance(spec.torch.kwargs(hyper), dict)
    cases = [c for c in TORCH["cases"] if c["optimizer"] == name]
    assert cases, f"no reference trajectory for {name}: run tests/reference/make_torch_reference.py"
    assert {c["torch_class"] for c in cases} == {spec.torch.cls}
    recorded = {json.dumps(c["optviz_kwargs"], sort_keys=True) for c in cases if c["schedule"] is None}
    wanted = {json.dumps(dict(hyper), sort_keys=True) for group in spec.torch.reference_sets.values()
              for hyper in group.values()}
    assert recorded == wanted, "the reference data is older than the spec: regenerate it"
