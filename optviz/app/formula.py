"""A surface's one-line LaTeX formula laid out for a narrow column (the sidebar).

A display formula (``st.latex``) never wraps, so the sidebar cut long ones off. Here the formula becomes
Markdown: a line per definition (cut at its top-level ``,\\ `` and ``\\quad``), each an inline KaTeX formula
in display style, whose top-level terms are braced so that it wraps only between terms (KaTeX breaks an
inline formula after a top-level operator or relation, and at ``\\allowbreak``).
"""
from __future__ import annotations

import re
from collections.abc import Iterator

LATEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|.", re.DOTALL)  # a command (\alpha), an escape (\{ \, \ ), a character
OPENS = {"{", "(", "[", r"\{", r"\lVert", r"\lvert", r"\langle", r"\left", r"\begin"}
CLOSES = {"}", ")", "]", r"\}", r"\rVert", r"\rvert", r"\rangle", r"\right", r"\end"}
LINE_BREAKS = {r"\quad", r"\qquad"}  # between definitions; a ",\ " ends a line too and keeps its comma
BREAK_AFTER = {"+", "-", "=", "<", ">", r"\le", r"\ge", r"\ne", r"\approx"}  # where TeX breaks an inline formula


def top_level(latex: str) -> Iterator[tuple[str, bool]]:
    """``(token, at_top)`` for each LaTeX token: ``at_top`` when it lies outside every brace, bracket,
    parenthesis, ``\\left…\\right`` and environment. ``\\left``'s and ``\\right``'s delimiter belongs to them."""
    depth, delimiter = 0, False
    for token in LATEX_TOKEN.findall(latex):
        if delimiter:  # the delimiter after \left or \right: counted with it
            delimiter = False
            yield token, False
            continue
        if token in CLOSES:
            depth -= 1
        yield token, depth == 0 and token not in OPENS
        if token in OPENS:
            depth += 1
        delimiter = token in (r"\left", r"\right")


def formula_lines(latex: str) -> list[str]:
    """One LaTeX line cut into lines at its top-level separators: after ``,\\ `` (the comma stays) and at
    ``\\quad``; separators inside any bracket or group stay where they are."""
    lines, current, previous = [], [], None
    for token, at_top in top_level(latex):
        if at_top and (token in LINE_BREAKS or token == r"\ " and previous == (",", True)):
            lines.append("".join(current))
            current = []
        else:
            current.append(token)
        previous = token, at_top
    lines.append("".join(current))
    return [line.strip() for line in lines if line.strip()]


def breakable(line: str) -> str:
    """``line`` with each top-level term in braces, so that an inline formula wraps only between terms:
    after a top-level + - = or relation (KaTeX breaks after those) and after a top-level comma
    (``\\allowbreak``); a sign that opens a term stays in it."""
    out, term = [], ""
    for token, at_top in top_level(line):
        if at_top and (token in BREAK_AFTER and term.strip() or token == ","):
            out.append(f"{{{term.strip()}}}" + (r",\allowbreak " if token == "," else f" {token} "))
            term = ""
        else:
            term += token
    if term.strip():
        out.append(f"{{{term.strip()}}}")
    return "".join(out).strip()


def formula_markdown(latex: str) -> str:
    """A surface's formula as Markdown: a line per definition, each an inline formula in display style (fractions
    and sums at full size) that wraps between its terms where the sidebar is narrower than the line."""
    return "  \n".join(rf"$\displaystyle {breakable(line)}$" for line in formula_lines(latex))
