"""Inside the optimizer: one chart per internal the contestants' specs plot, each line the run's own record.

The invariant every figure test checks: a line's y is exactly the trajectory's recorded internal of its
run, from step 0 (the state ``init`` made) to the step the run stopped at, and its x is those steps; the
runs drawn are exactly those whose optimizer's spec plots the internal. The few other expected values
are derived by hand in the comment beside them. The page itself is driven through ``AppTest``.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from optviz.figures.inside import internal_figure, plotted_internals, runs_plotting
from optviz.i18n import LANGUAGES, t
from optviz.optimizers import SPECS
from optviz.race import OptimizerConfig, RaceConfig, run_race

from conftest import APP

CJK = re.compile(r"[\u4e00-\u9fff]")
PLOTTING = [name for name, spec in SPECS.items() if spec.plotted]


def race(surface: str, *contestants: OptimizerConfig, steps: int = 60, start=None):
    return run_race(RaceConfig(surface, start=start, steps=steps, optimizers=contestants))


def lines(fig) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """(run, column, x, y) of every line: the run from its legend group, the column from its panel (x or y)."""
    return [(int(trace.legendgroup), 1 if trace.xaxis == "x2" else 0, np.asarray(trace.x), np.asarray(trace.y))
            for trace in fig.data]


def assert_lines_are_the_record(traj, internal: str, fig) -> None:
    drawn = lines(fig)
    assert {run for run, *_ in drawn} == {run for run, name in enumerate(traj.optimizers)
                                          if internal in SPECS[name].plotted}
    record = traj.internals[internal]  # (steps+1, runs, 2), or (steps+1, runs) for one number per run
    per_coordinate = record if record.ndim == 3 else record[..., None].repeat(2, axis=-1)
    for run, column, x, y in drawn:
        end = int(traj.last_step[run]) + 1
        assert np.array_equal(x, np.arange(end))
        # exact: the figure hands the recorded numbers over; NaN (no value) stays NaN
        assert np.array_equal(y, per_coordinate[:end, run, column], equal_nan=True), (internal, run, column)
    if len(drawn) == len({run for run, *_ in drawn}):  # one line per run: both columns must be that line
        for run, _, _, y in drawn:
            assert np.array_equal(y, per_coordinate[:len(y), run, 1], equal_nan=True)


# ---------------------------------------------------------------------------------------------- the figures


def test_a_race_gets_one_chart_per_plotted_internal_each_line_its_record():
    traj = race("himmelblau", OptimizerConfig("lion", hyperparams=(("lr", 0.01),)), OptimizerConfig("prodigy"),
                OptimizerConfig("rprop"), OptimizerConfig("adam", hyperparams=(("lr", 0.05),)), OptimizerConfig("sgd"))
    internals = plotted_internals(traj.optimizers)
    # the contestants' order, each name once: Lion's two, then Prodigy's, Rprop's, and Adam's second moment
    assert list(internals) == ["update", "first_moment", "d", "step_size", "second_moment"]
    assert internals["first_moment"] == (SPECS["lion"].plotted["first_moment"], SPECS["adam"].plotted["first_moment"])
    for internal in internals:
        assert_lines_are_the_record(traj, internal, internal_figure(traj, internal))


@pytest.mark.parametrize("name", PLOTTING)
def test_every_plotted_internal_of_every_optimizer_is_drawn_from_its_record(name):
    """Every spec in the registry, new ones included: 30 steps from the quadratic's start at its defaults."""
    traj = race("quadratic", OptimizerConfig(name), steps=30)
    for internal in SPECS[name].plotted:
        fig = internal_figure(traj, internal)
        assert fig is not None and len(fig.data) in (1, 2), internal
        assert_lines_are_the_record(traj, internal, fig)


@pytest.mark.parametrize("name", PLOTTING)
def test_every_plotted_label_in_every_language(name):
    for internal, label in SPECS[name].plotted.items():
        assert internal in SPECS[name].internals
        assert set(label._fields) == set(LANGUAGES) and all(label(lang).strip() for lang in LANGUAGES)
        assert CJK.search(label.zh), (name, internal)


def test_lions_update_is_a_sign_per_coordinate():
    # On x² + y² from (1.5, −1) the first gradient is (3, −2). With m₀ = 0, c₁ = (1 − β1)·g₁, so
    # u₁ = sign(c₁) = (1, −1): the coordinates differ, so the chart has an x and a y panel. u₀ = 0 (no step).
    traj = race("quadratic", OptimizerConfig("lion", hyperparams=(("lr", 0.05),)), steps=80, start=(1.5, -1.0))
    fig = internal_figure(traj, "update")
    by_column = {column: y for _, column, _, y in lines(fig)}
    assert set(by_column) == {0, 1}
    assert (by_column[0][0], by_column[1][0]) == (0.0, 0.0)
    assert (by_column[0][1], by_column[1][1]) == (1.0, -1.0)
    assert set(np.concatenate(list(by_column.values()))) <= {-1.0, 0.0, 1.0}  # a sign, whatever the step
    assert fig.layout.yaxis.type != "log"  # negative values: a linear axis


def test_prodigys_d_is_one_line_per_run_growing_on_a_log_axis():
    traj = race("rosenbrock", OptimizerConfig("prodigy"), OptimizerConfig("prodigy", label="cautious",
                                                                          hyperparams=(("d_coef", 0.5),)), steps=120)
    fig = internal_figure(traj, "d")
    assert len(fig.data) == 2  # x and y share d: one line per run, not one per coordinate
    assert t("inside.same_xy", "en") in fig.layout.title.text
    for _, _, _, d in lines(fig):
        assert d[0] == 1e-6  # d₀, the spec's default, before any step
        assert np.all(np.diff(d) >= 0)  # d_t = max(d_{t−1}, d̂_t): it never shrinks
        assert d[-1] / d[0] > 100  # grown by more than two decades ...
    assert fig.layout.yaxis.type == "log"  # ... so the axis is logarithmic


def test_rprops_step_sizes_start_at_the_learning_rate_in_both_panels():
    # torch's Rprop starts every coordinate's Δ at lr; the first step has no previous gradient (ĝ₀ = 0),
    # so its factor is 1 and Δ₁ = lr too.
    traj = race("rosenbrock", OptimizerConfig("rprop", hyperparams=(("lr", 0.01),)), steps=40)
    drawn = lines(internal_figure(traj, "step_size"))
    assert sorted(column for _, column, _, _ in drawn) == [0, 1]
    for _, _, _, delta in drawn:
        assert delta[0] == delta[1] == 0.01


def test_a_line_ends_where_its_run_stopped():
    # Heavy ball with β = 0 and lr 0.5 on x² + y²: θ₁ = θ₀ − 0.5·2θ₀ = 0 exactly; at step 2 the gradient
    # and the step are both 0, so the run converges at step 2 and its line covers steps 0, 1, 2.
    traj = race("quadratic", OptimizerConfig("momentum", hyperparams=(("lr", 0.5), ("beta", 0.0))), steps=50)
    assert traj.stop_step[0] == 2
    for _, _, x, y in lines(internal_figure(traj, "velocity")):
        assert list(x) == [0, 1, 2]
        assert y[0] == 0.0 and y[2] == 0.0  # v₀ = 0, and v₂ = g₂ = 0 at the minimum


def test_no_chart_for_an_internal_no_contestant_plots():
    traj = race("quadratic", OptimizerConfig("sgd"), OptimizerConfig("newton"), steps=10)
    assert plotted_internals(traj.optimizers) == {}
    assert internal_figure(traj, "velocity") is None and internal_figure(traj, "no_such_internal") is None
    # momentum plots its velocity; an Adam beside it records moments but no velocity, and is not drawn there
    traj = race("quadratic", OptimizerConfig("momentum"), OptimizerConfig("adam"), steps=10)
    assert runs_plotting(traj, "velocity") == [0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_titles_and_axes_speak_the_language(lang):
    traj = race("rosenbrock", OptimizerConfig("adam"), steps=20)
    fig = internal_figure(traj, "second_moment", lang=lang)
    assert fig.layout.title.text.startswith(SPECS["adam"].plotted["second_moment"](lang))
    assert fig.layout.xaxis.title.text == t("plot.step", lang)
    assert [a.text for a in fig.layout.annotations] == [t("plot.coordinate_x", lang), t("plot.coordinate_y", lang)]


# ---------------------------------------------------------------------------------------------- the page


@pytest.fixture(autouse=True, scope="module")
def full_error_details():
    """.streamlit/config.toml redacts exception messages; a failing test should show them."""
    old = st.config.get_option("client.showErrorDetails")
    st.config.set_option("client.showErrorDetails", "full")
    yield
    st.config.set_option("client.showErrorDetails", old)


def linked(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def internal_charts(at: AppTest) -> dict[str, dict]:
    """The internal charts on the page, by internal name (their keys are ``chart_inside_<internal>``)."""
    charts = {}
    for chart in at.get("plotly_chart"):
        found = re.search(r"chart_inside_(\w+)$", chart.proto.id)
        if found:
            charts[found.group(1)] = json.loads(chart.proto.spec)
    return charts


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_inside_view_draws_a_chart_per_plotted_internal_below_the_effective_rates(lang):
    at = linked({"o": "lion~prodigy~adam", "v": "inside", "n": "60", "l": lang})
    charts = internal_charts(at)
    # in the contestants' order, each internal once: Lion's sign and momentum, Prodigy's d, Adam's second moment
    # (Adam's first moment shares Lion's chart); run 0 is Lion, 1 Prodigy, 2 Adam
    runs = {"update": {"0"}, "first_moment": {"0", "2"}, "d": {"1"}, "second_moment": {"2"}}
    assert list(charts) == list(runs)
    assert [s.value for s in at.subheader] == [t("inside.internals", lang)]
    for internal, spec in charts.items():
        first = ("lion", "prodigy", "adam")[int(min(runs[internal]))]
        assert spec["layout"]["title"]["text"].startswith(SPECS[first].plotted[internal](lang))
        assert {trace["legendgroup"] for trace in spec["data"]} == runs[internal]
    ids = [chart.proto.id for chart in at.get("plotly_chart")]
    assert ids[0].endswith("chart_inside")  # Adam's effective rates come first, the internals below


def test_a_race_whose_contestants_plot_nothing_has_no_internal_charts():
    at = linked({"o": "sgd~newton", "v": "inside", "n": "30"})
    assert internal_charts(at) == {} and not at.subheader
    assert t("plot.no_effective_lr", "en") in [i.value for i in at.info]
