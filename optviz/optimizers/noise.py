r"""Gradient noise: mini-batch-style SGD on an analytic surface.

    $\tilde g_t = g_t + \sigma\,\xi_t$,  $\xi_t \sim \mathcal N(0, I_2)$

The noise of run i at update t depends only on ``(seed_i, t)``: a counter-based generator
(SplitMix64 hashing, then Box–Muller), so a run draws the same noise whether it is simulated
alone or inside a batch of ten thousand, and no per-run Python generator is needed.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optviz.optimizers.base import Array, Optimizer, per_run, runs_of
from surfaces.base import Parameter

NOISE = Parameter("noise", 0.0, 0.0, 100.0, help="σ of Gaussian gradient noise")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(z: Array) -> Array:
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def _unit_interval(bits: Array) -> Array:
    """Top 53 bits as a float in [0, 1)."""
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def standard_normal(seeds: Array, count: int) -> Array:
    """``(runs, 2)`` standard normal draws for update ``count`` of runs with these seeds."""
    seeds = np.atleast_1d(np.asarray(seeds)).astype(np.uint64)
    key = _splitmix64(_splitmix64(seeds) ^ np.uint64(count))
    u1 = 1.0 - _unit_interval(_splitmix64(key))  # (0, 1], so log(u1) is finite
    u2 = _unit_interval(_splitmix64(key ^ _GOLDEN))
    radius = np.sqrt(-2.0 * np.log(u1))
    angle = 2.0 * np.pi * u2
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1)


class NoisyState(NamedTuple):
    count: int
    inner: Any


def with_gradient_noise(optimizer: Optimizer, sigma: float | Array, seed: int | Array = 0) -> Optimizer:
    r"""Wrap ``optimizer`` so it sees $g_t + \sigma\xi_t$ instead of $g_t$ (σ and seed per run).

    A method that evaluates the surface itself (``needs_surface``: a line search, an ascent point) gets
    the surface unchanged: the noise is in the gradient it is handed, not in what it evaluates.
    """
    s = per_run(sigma, "noise")
    seeds = np.asarray(seed)
    if seeds.ndim > 1 or not np.issubdtype(seeds.dtype, np.integer) or np.any(seeds < 0):
        raise ValueError(f"seed must be a non-negative integer or an array of them (got {seed!r})")

    def init(params: Array) -> NoisyState:
        return NoisyState(0, optimizer.init(params))

    def update(grad, state, params, hessian=None, **oracle):
        count = state.count + 1
        noise = standard_normal(np.broadcast_to(seeds, grad.shape[:1]), count)
        step, inner = optimizer.update(grad + s * noise, state.inner, params, hessian, **oracle)
        return step, NoisyState(count, inner)

    hyper = {**optimizer.hyperparams, "noise": sigma, "seed": seed}
    runs = runs_of(sigma, seed)
    if optimizer.runs > 1 and runs > 1 and runs != optimizer.runs:
        raise ValueError(f"noise arrays have {runs} runs but the optimizer has {optimizer.runs}")
    return optimizer._replace(init=init, update=update, internals=lambda st: optimizer.internals(st.inner),
                              hyperparams=hyper, runs=max(runs, optimizer.runs))
