"""The optimisers and the sampler of a calibration, each batched over the objective.

- :func:`local`: scipy's bounded trust-region least squares from one start (its Jacobian's
  perturbed runs form one batch).
- :func:`lockstep`: Levenberg-Marquardt from many starts at once: every iteration runs the
  Jacobians of all starts in one batch and three damped trial steps of all starts in a
  second, so a multi-start fit or a bootstrap costs a few dozen large batches instead of
  thousands of tiny ones.
- :func:`evolve`: scipy's differential evolution, one batch per generation; derivative-free,
  so it can move dates (``STEP`` times), which have no gradient.
- :func:`sample`: emcee's affine-invariant ensemble sampler, half a walker ensemble per
  batch (the stretch move updates the two halves in turn).

Every routine works in the unit box ``u`` of :class:`~._objective.Objective`.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._objective import JAC_STEP, Objective

LAMBDAS = (0.1, 1.0, 10.0)  # damping factors tried together at every lockstep iteration
# A start whose cost falls by less than this fraction three steps running creeps along a
# flat valley (a ratio the data cannot split); it stops there and scipy polishes the best.
STALL = 1e-6
# After this many iterations a start whose cost is still above this multiple of the best
# start's stops: local descent from there does not usually overtake (the kept cost is
# reported, so a user sees every start's end in the summary).
PRUNE_AFTER, PRUNE_FACTOR = 8, 2.0


def local(obj: Objective, u0, options) -> optimize.OptimizeResult:
    kwargs = {"method": "trf", "jac": obj.jacobian, "x_scale": 1.0}
    kwargs.update(options)
    return optimize.least_squares(obj.residuals, u0, bounds=(0.0, 1.0), **kwargs)


def latin_hypercube(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    cells = np.stack([rng.permutation(n) for _ in range(k)], axis=1)
    return (cells + rng.uniform(size=(n, k))) / n


@dataclass
class Lockstep:
    """Where each start of :func:`lockstep` ended."""

    U: np.ndarray  # (starts, k) end points in the unit box
    cost: np.ndarray  # (starts,)
    converged: np.ndarray  # (starts,) bool
    iterations: int


def _jacobians(obj: Objective, U, R, observed, frozen) -> np.ndarray:
    S, k = U.shape
    steps = np.where(U + JAC_STEP <= 1.0, JAC_STEP, -JAC_STEP)  # (S, k)
    P = np.repeat(U, k, axis=0) + (steps[:, :, None] * np.eye(k)[None]).reshape(S * k, k)
    obs = None if observed is None else np.repeat(observed, k, axis=0)
    Rp = obj.residual_matrix(obj.to_x(P), obs).reshape(S, k, -1)
    J = (Rp - R[:, None, :]) / steps[:, :, None]  # (S, k, n)
    J[:, frozen, :] = 0.0
    return np.transpose(J, (0, 2, 1))  # (S, n, k)


def lockstep(
    obj: Objective,
    U0: np.ndarray,
    *,
    observed: np.ndarray | None = None,
    max_iter: int = 60,
    ftol: float = 1e-9,
    frozen=None,
) -> Lockstep:
    """Projected Levenberg-Marquardt from every row of ``U0`` together.

    ``observed`` gives each start its own data (rows), for a bootstrap; ``frozen`` marks
    parameters that do not move (dates: their gradient is zero).
    """
    U = np.clip(np.array(U0, dtype=float), 0.0, 1.0)
    S, k = U.shape
    frozen = np.zeros(k, dtype=bool) if frozen is None else np.asarray(frozen, dtype=bool)
    R = obj.residual_matrix(obj.to_x(U), observed)
    cost = 0.5 * np.sum(R * R, axis=1)
    lam = np.full(S, 1e-3)
    done = np.zeros(S, dtype=bool)
    slow = np.zeros(S, dtype=int)  # consecutive steps that gained less than STALL
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        if observed is None and it > PRUNE_AFTER:  # starts far behind the best stop
            done |= cost > PRUNE_FACTOR * cost.min() + 1e-300
        live = np.flatnonzero(~done)
        if live.size == 0:
            break
        obs = None if observed is None else observed[live]
        J = _jacobians(obj, U[live], R[live], obs, frozen)
        JtJ = np.einsum("snk,snl->skl", J, J)
        g = np.einsum("snk,sn->sk", J, R[live])
        diag = np.einsum("skk->sk", JtJ) + 1e-12
        trials = []
        for f in LAMBDAS:
            A = JtJ + (lam[live] * f)[:, None, None] * (diag[:, :, None] * np.eye(k)[None])
            A[:, frozen, :] = 0.0
            A[:, :, frozen] = 0.0
            A[:, frozen, frozen] = 1.0
            step = -np.linalg.solve(A, g[:, :, None])[:, :, 0]
            step[:, frozen] = 0.0
            trials.append(np.clip(U[live] + step, 0.0, 1.0))
        T = np.concatenate(trials)  # (3 live, k)
        obs3 = None if obs is None else np.tile(obs, (len(LAMBDAS), 1))
        RT = obj.residual_matrix(obj.to_x(T), obs3)
        CT = 0.5 * np.sum(RT * RT, axis=1).reshape(len(LAMBDAS), live.size)
        best = np.argmin(CT, axis=0)
        new_cost = CT[best, np.arange(live.size)]
        better = new_cost < cost[live]
        for j, s in enumerate(live):
            if better[j]:
                gain = (cost[s] - new_cost[j]) / max(cost[s], 1e-300)
                row = best[j] * live.size + j
                moved = np.max(np.abs(T[row] - U[s]))
                U[s], R[s], cost[s] = T[row], RT[row], new_cost[j]
                lam[s] = max(lam[s] * LAMBDAS[best[j]] / 3.0, 1e-9)
                slow[s] = slow[s] + 1 if gain < STALL else 0
                if gain < ftol or moved < 1e-10 or slow[s] >= 3:
                    done[s] = True
            else:
                lam[s] *= 10.0
                if lam[s] > 1e8:  # no damped step improves: a (bounded) minimum
                    done[s] = True
    return Lockstep(U=U, cost=cost, converged=done.copy(), iterations=it)


def _rng_kwarg(func, seed) -> dict:
    return {"rng": seed} if "rng" in inspect.signature(func).parameters else {"seed": seed}


def evolve(obj: Objective, u0, seed, options) -> optimize.OptimizeResult:
    """Differential evolution over the unit box, one batch per generation."""
    opts = {"maxiter": 60, "popsize": 12, "tol": 1e-7, "polish": False}
    opts.update(options)
    opts.update(vectorized=True, updating="deferred")
    return optimize.differential_evolution(
        obj.costs,
        [(0.0, 1.0)] * len(u0),
        x0=u0,
        **_rng_kwarg(optimize.differential_evolution, seed),
        **opts,
    )


@dataclass
class Chain:
    """What :func:`sample` returns: the chain and its diagnostics."""

    chain: np.ndarray  # (steps, walkers, dim) in parameter units
    log_prob: np.ndarray  # (steps, walkers)
    acceptance: np.ndarray  # (walkers,)
    tau: np.ndarray  # integrated autocorrelation time of each parameter, in steps
    burn: int
    thin: int
    reliable: bool  # the chain is at least 50 autocorrelation times long


def sample(
    obj: Objective,
    x0: np.ndarray,
    *,
    sd: np.ndarray,
    fit_sd: bool,
    log_prior,
    walkers: int,
    steps: int,
    seed,
    burn: int | None = None,
) -> Chain:
    """Sample the posterior with emcee; one batch per half-ensemble.

    The likelihood is Gaussian: each observation of series ``s`` has error sd ``sd[s]`` (in
    the series' units). With ``fit_sd`` the log sd of every series is sampled too (a flat
    prior on log sd, Jeffreys' for a scale). ``log_prior(X)`` gives the log prior density of
    parameter rows ``X`` (``-inf`` outside the bounds).
    """
    import emcee

    k = x0.size
    sizes = [s.times.size for s in obj.series]
    index = np.repeat(np.arange(len(sizes)), sizes)
    n_sd = len(sizes) if fit_sd else 0
    dim = k + n_sd

    def log_prob(theta):
        theta = np.atleast_2d(theta)
        X = theta[:, :k]
        out = np.full(len(theta), -np.inf)
        lp = log_prior(X)
        ok = np.isfinite(lp)
        if not ok.any():
            return out
        P, ran = obj.prediction_matrix(X[ok])
        sig = np.exp(theta[ok][:, k:])[:, index] if fit_sd else np.broadcast_to(sd[index], P.shape)
        z = (P - obj.observed) / sig
        ll = -0.5 * np.sum(z * z, axis=1) - np.sum(np.log(sig), axis=1)
        ll[~ran] = -np.inf
        out[ok] = lp[ok] + ll
        return out

    rng = np.random.default_rng(seed)
    u0 = obj.to_u(x0)
    start = np.clip(u0 + 1e-3 * rng.standard_normal((walkers, k)), 1e-6, 1 - 1e-6)
    p0 = obj.to_x(start)
    if fit_sd:
        p0 = np.hstack([p0, np.log(sd)[None, :] + 1e-2 * rng.standard_normal((walkers, n_sd))])
    sampler = emcee.EnsembleSampler(walkers, dim, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    sampler.run_mcmc(p0, steps, progress=False)
    chain = sampler.get_chain()
    tau = sampler.get_autocorr_time(tol=0, quiet=True)
    tau = np.where(np.isfinite(tau), tau, steps)
    if burn is None:
        burn = min(int(np.ceil(3 * np.max(tau))), steps // 2)
    thin = max(1, int(np.max(tau) // 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reliable = bool(steps >= 50 * np.max(tau))
    return Chain(
        chain=chain,
        log_prob=sampler.get_log_prob(),
        acceptance=np.asarray(sampler.acceptance_fraction),
        tau=np.asarray(tau, dtype=float),
        burn=int(burn),
        thin=thin,
        reliable=reliable,
    )
