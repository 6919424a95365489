"""Extreme value theory for thresholds: generalized Pareto fit and the POT quantile.

Siffer et al. 2017 ("Anomaly detection in streams with extreme value theory", KDD): the excesses
Y = X - t of scores over a high initial threshold t follow a generalized Pareto distribution
GPD(γ, σ); the threshold exceeded with probability q is

    z_q = t + σ/γ · ((q·n / N_t)^(-γ) - 1)      (γ ≠ 0),      z_q = t - σ·log(q·n / N_t)  (γ = 0)

with n scores in all and N_t of them above t. The fit is maximum likelihood through Grimshaw's
reduction: with θ = γ/σ the likelihood maximised over γ for a fixed θ has γ(θ) = mean(log(1 + θY)),
so the profile log-likelihood ℓ(θ) = -N_t·(log(γ(θ)/θ) + γ(θ) + 1) is one-dimensional; we scan it
on a grid and refine the best cell with bounded Brent. θ → 0 is the exponential case γ = 0,
σ = mean(Y).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["fit_gpd", "pot_quantile"]


def _profile(theta: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Profile log-likelihood ℓ(θ) / N_t for every θ (shape (K,)), y: (N_t,) excesses > 0."""
    g = np.log1p(np.outer(theta, y)).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -(np.log(g / theta) + g + 1.0)
    out[~np.isfinite(out)] = -np.inf
    return out


def fit_gpd(excesses: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood GPD shape γ and scale σ of positive excesses (N_t,), location 0.

    Returns (γ, σ). With fewer than 3 distinct excesses the exponential fit (0, mean) is returned.
    """
    from scipy.optimize import minimize_scalar

    y = np.asarray(excesses, dtype=np.float64)
    y = y[y > 0]
    if len(y) == 0:
        return 0.0, 1e-12
    mean = float(y.mean())
    if len(np.unique(y)) < 3:
        return 0.0, mean
    best_ll = -(math.log(mean) + 1.0)  # exponential, per point
    best = (0.0, mean)
    lo = -1.0 / float(y.max())
    neg = lo * (1.0 - np.logspace(-8, 0, 60, endpoint=False))  # (lo, 0)
    pos = np.logspace(-6, 4, 120) / mean
    grid = np.concatenate([neg, pos])
    ll = _profile(grid, y)
    k = int(np.argmax(ll))
    if ll[k] > best_ll:
        a = grid[k - 1] if k > 0 else grid[k]
        b = grid[k + 1] if k + 1 < len(grid) else grid[k]
        if a > b:
            a, b = b, a
        if (a < 0 < b) and grid[k] > 0:
            a = max(a, 1e-12)
        if (a < 0 < b) and grid[k] < 0:
            b = -1e-12
        theta = grid[k]
        if b > a:
            res = minimize_scalar(
                lambda t: -_profile(np.array([t]), y)[0],
                bounds=(a, b),
                method="bounded",
                options={"xatol": abs(theta) * 1e-6 + 1e-14},
            )
            if -res.fun >= ll[k]:
                theta = float(res.x)
        gamma = float(np.log1p(theta * y).mean())
        sigma = gamma / theta
        if -(math.log(sigma) + gamma + 1.0) > best_ll and sigma > 0:
            best = (gamma, float(sigma))
    return best


def pot_quantile(t: float, gamma: float, sigma: float, q: float, n: int, n_t: int) -> float:
    """The score exceeded with probability q: z_q = t + σ/γ((q n / N_t)^-γ - 1)
    (σ log-form for γ≈0)."""
    r = q * n / max(n_t, 1)
    if abs(gamma) < 1e-9:
        return float(t - sigma * math.log(r))
    return float(t + sigma / gamma * (r ** (-gamma) - 1.0))
