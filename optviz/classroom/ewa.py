r"""Exponentially weighted averages: the course notes' opening example, on daily temperatures.

With $v_0 = 0$ and $\beta \in [0, 1)$,

    $v_t = \beta v_{t-1} + (1-\beta)\theta_t$,  t = 1, 2, ...

Unrolled, $v_t = (1-\beta)\sum_{k=1}^{t}\beta^{t-k}\theta_k$: today's temperature weighs
$1-\beta$, yesterday's $(1-\beta)\beta$, and so on down a geometric ladder. A day $1/(1-\beta)$
back weighs $\beta^{1/(1-\beta)} \approx 1/e$ of today, so *the average covers about
$1/(1-\beta)$ days*: β = 0.9 averages about 10 days, β = 0.98 about 50.

The weights sum to $1-\beta^t$, not 1, so early values are pulled toward $v_0 = 0$. Bias
correction divides that out, $\hat v_t = v_t / (1-\beta^t)$, which makes $\hat v_t$ a true
weighted mean of $\theta_1, \dots, \theta_t$ (so $\hat v_1 = \theta_1$). Adam's moments are
exactly such averages of the gradient and its square.

Larger β is smoother but lags: on a ramp $\theta_t = t$ the uncorrected average trails by
$\beta/(1-\beta)$ (exactly $v_t = t - \frac{\beta}{1-\beta}(1-\beta^t)$).

Example::

    temps = temperatures(days=100, seed=0)            # (100,) °C
    smooth = ewa(temps, [0.5, 0.9, 0.98])             # (3, 100)
"""
from __future__ import annotations

import numpy as np

Array = np.ndarray

MAX_DAYS = 365
MEAN_C, SWING_C, NOISE_C = 11.0, 8.0, 2.5  # yearly mean, half the summer–winter swing, daily scatter (°C)
COLDEST_DAY = 15  # mid-January: the seasonal curve starts in winter, so the first weeks warm up


def temperatures(days: int = 30, seed: int = 0) -> Array:
    """``(days,)`` synthetic daily temperatures in °C for days 1..days of a year (days ≤ 365).

    A seasonal cosine, coldest in mid-January and warmest in mid-July, plus Gaussian day-to-day
    scatter: ``MEAN_C − SWING_C·cos(2π(d − COLDEST_DAY)/365) + NOISE_C·ξ_d``. The same seed gives
    the same series, and a longer series starts with the shorter one.
    """
    if isinstance(days, bool) or int(days) != days or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be a whole number in [1, {MAX_DAYS}] (got {days!r})")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number (got {seed!r})")
    d = np.arange(1, int(days) + 1)  # (days,)
    season = MEAN_C - SWING_C * np.cos(2 * np.pi * (d - COLDEST_DAY) / 365.0)
    scatter = np.random.default_rng(int(seed)).standard_normal(MAX_DAYS)[: int(days)]  # prefix-stable
    return season + NOISE_C * scatter


def _betas(beta) -> Array:
    b = np.asarray(beta, dtype=float)
    if b.ndim > 1:
        raise ValueError(f"beta must be a number or a 1-D array of them (got shape {b.shape})")
    if not np.all((b >= 0) & (b < 1)):
        raise ValueError(f"beta must be in [0, 1) (got {beta!r})")
    return b


def ewa(series, beta, bias_correction: bool = False) -> Array:
    r"""$v_t = \beta v_{t-1} + (1-\beta)\theta_t$ from $v_0 = 0$, for t = 1..T; optionally $v_t/(1-\beta^t)$.

    ``series`` is ``(T,)``; ``beta`` a number (result ``(T,)``) or a ``(k,)`` array (result
    ``(k, T)``, one average per β). Element ``t-1`` of the result is $v_t$.

    The corrected average is computed as $\hat v_t = \hat v_{t-1} + \frac{1-\beta}{1-\beta^t}(\theta_t - \hat v_{t-1})$,
    which equals $v_t/(1-\beta^t)$ (divide the recursion by $1-\beta^t$) without dividing a
    tiny $v_t$ by a tiny $1-\beta^t$.
    """
    theta = np.asarray(series, dtype=float)
    if theta.ndim != 1:
        raise ValueError(f"series must be 1-D (got shape {theta.shape})")
    b = _betas(beta)
    out = np.empty(b.shape + theta.shape)  # (T,) or (k, T)
    v = np.zeros(b.shape)  # v_0 = 0; () or (k,)
    for t in range(1, theta.size + 1):
        if bias_correction:
            # v_t/(1-β^t) as a running weighted mean: the gain (1-β)/(1-β^t) is exactly 1 at t = 1,
            # so the first value is θ_1 and a constant series stays exactly constant.
            gain = (1.0 - b) / (1.0 - b**t)
            v = v + gain * (theta[t - 1] - v)
        else:
            v = b * v + (1.0 - b) * theta[t - 1]
        out[..., t - 1] = v
    return out


def window(beta) -> float | Array:
    r"""$1/(1-\beta)$: about how many recent days the average covers (β = 0.9 → 10)."""
    b = _betas(beta)
    w = 1.0 / (1.0 - b)
    return float(w) if w.ndim == 0 else w


def weights(beta: float, t: int, bias_correction: bool = False) -> Array:
    r"""``(t,)`` the weight of $\theta_1, \dots, \theta_t$ in $v_t$: $(1-\beta)\beta^{t-k}$ (divided by $1-\beta^t$ if corrected)."""
    b = float(_betas(beta))
    k = np.arange(1, int(t) + 1)
    w = (1.0 - b) * b ** (t - k)
    return w / (1.0 - b**t) if bias_correction else w
