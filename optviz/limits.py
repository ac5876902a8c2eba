"""How much a user may ask for, defined once: the app's controls, links, ``race.validate`` and the
command line all read their ranges here. Ranges are ``(low, high)``, both ends allowed. No Streamlit.

A race is at most what the app can show, whoever asks for it: a link, a lesson or ``optviz render``.
The command line's ``run``, ``sweep`` and ``basins`` print numbers instead of drawing them, so they
may run longer; each such exception carries its reason next to it.

These ranges bound a request's shape; what it may cost (estimated CPU seconds, and the largest setting
that fits) is ``optviz.budget``'s, which the app checks before each computation.
"""
from __future__ import annotations

# --- a race: the app's controls, links (optviz.share), race.validate, optviz render
RACE_STEPS = (1, 2000)  # updates in a race: the most the app's slider offers
APP_STEPS = (10, 2000)  # the app's steps slider; it moves in STEPS_NOTCH, so fewer steps show as 10
STEPS_NOTCH = 10
MAX_OPTIMIZERS = 12  # contestants in a race: past a dozen paths the map and its legend stop being readable
SEEDS = (0, 2**31 - 1)  # a contestant's gradient-noise seed: a signed 32-bit integer, which any RNG accepts
MAX_LABEL = 40  # characters of a contestant's label: a legend entry on one line
MAX_EXPRESSION = 300  # characters of a typed f(x, y)
BOUND_RANGE = 1000.0  # |min|, |max| of a typed surface's plot box on either axis
START_RANGE = 10.0  # |x0|, |y0| at most this times the plot's largest |bound| (the app's start inputs)

# --- the app's schedule controls. Longer than a race on purpose: "decay every 3000 steps" is a
# schedule that never acts within the race, a value a link may carry and the controls must show.
SCHEDULE_EVERY = (1, 5000)  # a step decay's interval
SCHEDULE_PERIOD = (1, 5000)  # a cosine's period
SCHEDULE_WARMUP = (0, 2000)  # warm-up steps; 0 is none

# --- links (optviz.share): what a pasted address may hold before the rest is ignored
MAX_LINK = 4000  # characters of all keys and values together
MAX_LINK_VALUE = 200  # characters of one value (a typed f(x, y) may have MAX_EXPRESSION)
MAX_NOTICES = 20  # ignored values reported one by one; the rest are counted

# --- sweeps and basin maps (optviz.sweep, and the command line's sweep and basins)
GRID_POINTS = (2, 500)  # points on a sweep axis, or starts per side of a basin grid
GRID_RUN_STEPS = 10**9  # cells (or starts) × steps one sweep or basin map may run: minutes, not hours.
#                        Memory does not grow with the steps (optviz.sweep keeps each run's end, not its
#                        path): at most 64 MiB of working set plus ~57 B per cell, about 80 MB for
#                        500 × 500 cells; the whole 500 × 500 × 4000 CLI sweep peaks at ~200 MB RSS
RUN_STEPS = (1, 100_000)  # optviz run/sweep/basins --steps. More than a race: these print numbers
#                           (a 100 000-step trajectory is a few MB of CSV), and grids also stay
#                           within GRID_RUN_STEPS
SWEEP_RESOLUTION = (10, 200)  # the app's points per sweep axis: 40 000 cells, a few seconds
SWEEP_STEPS = (50, 2000)  # the app's steps per sweep cell: at most a race's
BASIN_GRID = (11, 101)  # the app's starts per side of a basin map
