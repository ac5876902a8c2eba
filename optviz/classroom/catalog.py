"""Every lesson the app offers, in the order its lesson menu lists them: the twelve races of the course
notes (``optviz.classroom.lessons``), then the four that put the theory beside a race
(``optviz.classroom.theory_lessons``), then those on the newer optimizers (``optviz.classroom.optimizer_lessons``).

The one list for everything that names a lesson: the menu, links (``?ls=``), the lesson card. The
modules define lessons; this one only puts them together, so that ``theory_lessons`` and
``optimizer_lessons`` can build on ``lessons`` without any of them importing another's list.

Example::

    lesson = get_lesson("stability-edge")
    [lesson.id for lesson in ALL_LESSONS][:2]   # ["saddle-point", "plateau"]
"""
from __future__ import annotations

from optviz.classroom.lessons import LESSONS, Lesson
from optviz.classroom.optimizer_lessons import OPTIMIZER_LESSONS
from optviz.classroom.theory_lessons import THEORY_LESSONS

ALL_LESSONS: tuple[Lesson, ...] = LESSONS + THEORY_LESSONS + OPTIMIZER_LESSONS

_BY_ID = {lesson.id: lesson for lesson in ALL_LESSONS}
if len(_BY_ID) != len(ALL_LESSONS):  # an id shared by two lessons would make a link ambiguous
    raise ValueError(f"lesson ids must be unique: {[lesson.id for lesson in ALL_LESSONS]}")


def get_lesson(lesson_id: str) -> Lesson:
    """The lesson with this id, of either kind; raises ValueError naming the choices."""
    try:
        return _BY_ID[lesson_id]
    except KeyError:
        raise ValueError(f"unknown lesson {lesson_id!r}; choose from: {', '.join(_BY_ID)}") from None


__all__ = ["ALL_LESSONS", "get_lesson"]
