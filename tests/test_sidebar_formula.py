"""The surface's formula in the sidebar: cut into lines at its top-level separators, wrapping only between
top-level terms, and fully inside the sidebar at a desktop size and on a phone.

The unit tests check the cutting on hand-written LaTeX; the browser test opens every surface by link (the
longest parameters' text too, and a typed surface) and measures each drawn KaTeX box against the sidebar.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from optviz.app.formula import breakable, formula_lines, formula_markdown
from surfaces import SURFACES, custom_surface, get_surface

# ------------------------------------------------------------------------------------ cutting into lines

@pytest.mark.parametrize("latex, lines", [
    ("x^2 + y^2", ["x^2 + y^2"]),
    (r"a,\ b\quad c", ["a,", "b", "c"]),
    (r"a\qquad b", ["a", "b"]),
    # separators inside braces, brackets, parentheses, \left…\right and environments stay put
    (r"f\left(a,\ b\quad c\right),\ g", [r"f\left(a,\ b\quad c\right),", "g"]),
    (r"\frac{a,\ b}{c}\quad (k = 1,\ t = 2)", [r"\frac{a,\ b}{c}", r"(k = 1,\ t = 2)"]),
    (r"[a,\ b]\quad \begin{matrix} a \quad b \end{matrix}", [r"[a,\ b]", r"\begin{matrix} a \quad b \end{matrix}"]),
    (r"\left\{a,\ b\right\},\ c", [r"\left\{a,\ b\right\},", "c"]),
    # a comma without the following \  (a list inside one definition) is not a separator
    (r"c = (1, 2), (3, 4)", [r"c = (1, 2), (3, 4)"]),
])
def test_formula_lines_cut_at_top_level_separators_only(latex, lines):
    assert formula_lines(latex) == lines


@pytest.mark.parametrize("line, terms", [
    (r"(1 - x)^2 + 100\,(y - x^2)^2", r"{(1 - x)^2} + {100\,(y - x^2)^2}"),  # not inside parentheses
    (r"-x + y", r"{-x} + {y}"),  # a sign that opens a term stays in it
    (r"u = -3", r"{u} = {-3}"),
    (r"\left(a + b\right) - c", r"{\left(a + b\right)} - {c}"),
    (r"\frac{a + b}{c} + \sqrt{d - e}", r"{\frac{a + b}{c}} + {\sqrt{d - e}}"),
    (r"c = (1, 2), (3, 4)", r"{c} = {(1, 2)},\allowbreak {(3, 4)}"),  # the list may wrap between its items
    (r"x \cdot y", r"{x \cdot y}"),  # a product is one term
])
def test_breakable_braces_each_top_level_term(line, terms):
    assert breakable(line) == terms


FORMULAS = [get_surface(name).formula for name in SURFACES] + [
    get_surface("ravine", condition=1000, angle=45).formula, get_surface("plateau", width=0.25).formula,
    custom_surface("x**2 + 3*sin(y) - 0.5*x*y").formula]


@pytest.mark.parametrize("formula", FORMULAS)
def test_every_formula_keeps_all_its_symbols(formula):
    """An invariant: the drawn lines hold the formula's symbols in order; only the line separators (``\\quad``,
    the ``\\ `` after a comma), the added braces, ``\\allowbreak`` and ``\\displaystyle`` come and go."""
    markdown = formula_markdown(formula)
    drawn = re.sub(r"\\displaystyle|\\allowbreak|\\ |\\quad|[{}$\s]", "", markdown)
    assert drawn == re.sub(r"\\ |\\quad|[{}\s]", "", formula)
    assert markdown.count("$") == 2 * len(formula_lines(formula))  # every line is one inline formula


# ------------------------------------------------------------------------------------ in a browser

LINKS = {name: f"s={name}" for name in SURFACES} | {
    "ravine-longest": "s=ravine&s.condition=1000&s.angle=45",  # the most digits in its parameters' text
    "plateau-narrow": "s=plateau&s.width=0.25",
    "custom": "s=custom&f=" + quote("x**2 + 3*sin(y) - 0.5*x*y + exp(-(x**2 + y**2)/5) + 0.25*sqrt(x**2 + y**2 + 1)"),
}
SIZES = {"desktop": dict(viewport={"width": 1280, "height": 720}, lang="en"),
         "phone": dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, lang="zh")}
SUBPIXEL = 1.0  # px: KaTeX places glyphs at fractional pixels; a clipped formula overflows by tens of px
LEGIBLE = 13.0  # px: the smallest font size of a formula's main line that stays easy to read

# Every drawn part of each KaTeX formula in the sidebar (clipped by the formula's own clipping boxes: KaTeX
# draws a root sign's tail as a wide SVG and hides all but its start) against the sidebar's content box (its
# padding excluded), and every box from the formula up to that content: none may scroll sideways (the old
# display formula scrolled inside its own box; a line too wide for the sidebar makes the content scroll).
MEASURE = """() => {
  const content = document.querySelector('[data-testid="stSidebar"] [data-testid="stSidebarUserContent"]');
  const box = content.getBoundingClientRect(), pad = getComputedStyle(content);
  const left = box.left + parseFloat(pad.paddingLeft), right = box.right - parseFloat(pad.paddingRight);
  return [...content.querySelectorAll('.katex')].map(k => {
    const parts = [k, ...k.querySelectorAll('.katex-html *')].map(e => {
      let {left: low, right: high, width} = e.getBoundingClientRect();
      for (let a = e.parentElement; a && a !== k.parentElement; a = a.parentElement)
        if (getComputedStyle(a).overflowX !== 'visible') {
          const clip = a.getBoundingClientRect(); low = Math.max(low, clip.left); high = Math.min(high, clip.right); }
      return {low, high, width};
    }).filter(r => r.width > 0 && r.high > r.low);
    const scrolls = [];
    for (let e = k; e && e !== content.parentElement; e = e.parentElement)
      if (e.scrollWidth > e.clientWidth) scrolls.push([e.className.slice(0, 30), e.scrollWidth, e.clientWidth]);
    return {text: k.querySelector('annotation')?.textContent, left, right,
            low: Math.min(...parts.map(r => r.low)), high: Math.max(...parts.map(r => r.high)),
            font: parseFloat(getComputedStyle(k).fontSize), scrolls};
  });
}"""


def wait_formula(page) -> None:
    """Until the page's script has run and the sidebar is drawn: its formula in its own fonts, and no widget
    still a placeholder (Streamlit loads some widgets' code after the run ends: measured, up to 0.3 s)."""
    page.wait_for_timeout(300)  # give the run a moment to start
    page.wait_for_function("""() => {
      const side = document.querySelector('[data-testid="stSidebar"]');
      return document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
        && side?.querySelector('.katex') && !side.querySelector('[data-testid="stSkeleton"], .stSkeleton'); }""",
                           timeout=60_000)
    page.evaluate("() => document.fonts.ready.then(() => true)")


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_every_formula_fits_the_sidebar(browser, app_server, artifacts, size):
    url, _ = app_server
    options = dict(SIZES[size])
    lang = options.pop("lang")
    context = browser.new_context(**options)
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        misfits = []
        for name, link in LINKS.items():
            page.goto(f"{url}/?{link}&l={lang}")
            wait_formula(page)
            expand = page.get_by_test_id("stExpandSidebarButton")
            if expand.is_visible():  # a phone may open with the sidebar folded away
                expand.click()
                page.wait_for_timeout(500)  # the sidebar slides in
            assert page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "false", name
            page.locator('[data-testid="stSidebar"] .katex').first.scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts / f"sidebar-formula-{size}-{name}.png"))
            for formula in page.evaluate(MEASURE):
                inside = formula["left"] - SUBPIXEL <= formula["low"] and formula["high"] <= formula["right"] + SUBPIXEL
                if not inside or formula["scrolls"] or formula["font"] < LEGIBLE:
                    misfits.append((name, formula))
        assert not misfits, "\n".join(map(str, misfits))
    finally:
        context.close()
