"""The rotation lesson's claim: on the ravine turned from 0° to 45°, SGD, heavy ball, Newton and Shampoo trace
the same path turned; Adam, RMSprop, Lion and Rprop do not (``optviz/classroom/rotation_lesson.py``)."""
from __future__ import annotations

import numpy as np
import pytest

from optviz.classroom.rotation_lesson import TOLERANCE, races, rotation, rotation_claim
from surfaces.ravine import ravine

CLAIM = rotation_claim()


def test_the_equivariant_four_turn_with_the_valley():
    # TOLERANCE (1e-9) is rounding's allowance: equal paths in exact arithmetic round differently through
    # cos 45° and sin 45°; see the module for the measured 1.6e-13.
    assert CLAIM["turns_with_the_valley"] == ["sgd", "momentum", "newton", "shampoo"]
    assert all(CLAIM["deviation"][name] <= TOLERANCE for name in CLAIM["turns_with_the_valley"])


def test_the_per_coordinate_four_do_not():
    assert CLAIM["does_not_turn"] == ["adam", "rmsprop", "lion", "rprop"]
    # not a near miss: their paths part by a visible fraction of the plot (the ravine spans 6 × 4)
    assert all(CLAIM["deviation"][name] > 0.1 for name in CLAIM["does_not_turn"])


def test_the_claim_is_about_real_paths():
    # every contestant travels further than the largest deviation found, on both ravines, without diverging
    assert all(length > 1.0 for length in CLAIM["path_length"].values())
    assert all(level == turned and level in ("running", "converged") for level, turned in CLAIM["status"].values())


def test_the_turned_start_is_the_ravines_own_start_at_45_degrees():
    # the ravine places its default start along its turned floor: R(45°)·(−2.5, 0.5), to rounding (1e-15)
    level, turned = races()
    np.testing.assert_allclose(turned.start, ravine(angle=45.0).start, rtol=1e-15)
    np.testing.assert_allclose(turned.start, [-2.5 * np.sqrt(0.5) - 0.5 * np.sqrt(0.5),
                                              -2.5 * np.sqrt(0.5) + 0.5 * np.sqrt(0.5)], rtol=1e-15)
    assert level.start == (-2.5, 0.5)


def test_rotation_by_hand():
    np.testing.assert_allclose(rotation(45.0) @ [1.0, 0.0], [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-15)
    np.testing.assert_allclose(rotation(90.0) @ [1.0, 0.0], [0.0, 1.0], atol=1e-16)  # cos 90° rounds to 6e-17


def test_no_turn_no_difference():
    # at 0° both races are the same race: every deviation is exactly 0, so the measurement adds nothing of its own
    claim = rotation_claim(angle=0.0)
    assert claim["deviation"] == pytest.approx({name: 0.0 for name in claim["deviation"]}, abs=0)
    assert claim["does_not_turn"] == []
