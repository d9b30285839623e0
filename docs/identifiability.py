"""Which behavioural constants of the model could data ever tell apart?

Practical identifiability by the collinearity of local sensitivities (Brun, R., Reichert, P.
and Künsch, H. R. (2001), Practical identifiability analysis of large environmental
simulation models, Water Resources Research 37(4):1015-1030). For every behavioural
constant (``lifecycle params``, class not ``lever``) and every scenario of ``scenarios/``,
the sensitivity of each observed series to the constant is a central difference at +-5 % of
its value, scaled by a quarter of the value (the half-width of the plausible ensemble) and by
the mean size of the series in that scenario: how far the series moves, in units of its own
size, across the plausible range. Stacking every scenario, series and year gives one column
per constant. Two measures follow:

- **importance** ``delta``: the root mean square of the column. A constant with a small one
  barely moves anything observed: data cannot pin it down, whatever else is fitted;
- **collinearity index** ``gamma`` of a set of constants: one over the square root of the
  smallest eigenvalue of the normalised columns' cross-product. A change of one constant
  that the others can undo to within 1 / gamma of its effect leaves the observations alike.
  Brun et al. take gamma above 10-15 as practically unidentifiable; for a pair, gamma = 10
  means the two columns' correlation is 0.99 (gamma = 1 / sqrt(1 - |cos|)).

Two observation sets: every stock a user relies on (``OBSERVED``: the runner's key
variables and Market Share), yearly, in all scenarios (what the model itself distinguishes,
the question of merging constants); and a regional analyst's record, Firms and Employment
of one cluster's baseline history (what a typical calibration can identify).

    .venv/bin/python docs/identifiability.py [--top 15]

Local: the sensitivities are taken at the model's values, so the answer holds near them.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from lifecycle.runner import KEY_VARIABLES

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "cluster_lifecycle.mdl"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml")) + sorted(
    (ROOT / "scenarios" / "contrasts").glob("*.toml")
)
STEP = 0.05  # central difference at +-5 % of the value
SPREAD = 0.25  # sensitivities per plausible half-width (docs/make_plausible.py)
# the stocks users rely on (lifecycle.runner.KEY_VARIABLES) without the two that add nothing
# (Member Share is Network Members over Firms; the frontier is exogenous), with Market Share
OBSERVED = [v for v in KEY_VARIABLES if v not in ("Member Share", "Technology Frontier")] + [
    "Market Share"
]
HISTORY = ["Firms", "Employment"]
#: Brun et al. (2001): above this a set of constants is practically unidentifiable.
GAMMA_LIMIT = 10.0


def behavioural(model) -> dict[str, float]:
    """{name: default} of every behavioural constant."""
    from lifecycle.params import params_frame

    df = params_frame(model)
    df = df[df["class"] != "lever"]
    return {r["name"]: float(r["default"]) for _, r in df.iterrows()}


def _sample_rows(model, consts: dict[str, float]) -> pd.DataFrame:
    """The nominal run first, then each constant at -STEP and +STEP (clipped to its range)."""
    rows = [dict(consts)]
    for name, v in consts.items():
        c = model.parameters[name]
        for sign in (-1, 1):
            x = v * (1 + sign * STEP)
            lo = c.low if c.low is not None else -np.inf
            hi = c.high if c.high is not None else np.inf
            rows.append({**consts, name: float(np.clip(x, lo, hi))})
    return pd.DataFrame(rows)


def scenario_sensitivities(model, path, observed=OBSERVED, consts=None) -> pd.DataFrame:
    """The scaled sensitivity matrix of one scenario: one column per constant (``consts``,
    default every behavioural one), one row per (series, year)."""
    from lifecycle import ensemble, load_scenario

    consts = behavioural(model) if consts is None else consts
    scen = load_scenario(path, model)
    # a scenario's own values of behavioural constants (if any) are its centre
    centre = {**consts, **{k: float(v) for k, v in scen.params.items() if k in consts}}
    s = _sample_rows(model, centre)
    ds = ensemble(model, s, scenario=scen, variables=observed)
    keep = np.isclose(ds["time"].values % 1.0, 0.0)
    blocks = []
    for var in observed:
        y = ds[var].values[:, keep]  # (1 + 2k, years)
        scale = np.nanmean(np.abs(y[0])) or 1.0
        cols = []
        for j, name in enumerate(consts):
            lo, hi = s.iloc[1 + 2 * j][name], s.iloc[2 + 2 * j][name]
            d = (y[2 + 2 * j] - y[1 + 2 * j]) / (hi - lo) if hi > lo else 0.0 * y[0]
            cols.append(d * SPREAD * centre[name] / scale)
        blocks.append(np.column_stack(cols))
    return pd.DataFrame(np.vstack(blocks), columns=list(consts))


def sensitivities(model, scenarios=SCENARIOS, observed=OBSERVED) -> dict[str, pd.DataFrame]:
    """{scenario name: its scaled sensitivity matrix}."""
    consts = behavioural(model)
    return {p.stem: scenario_sensitivities(model, p, observed, consts) for p in scenarios}


def stacked(per: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every scenario's rows in one matrix."""
    return pd.concat(per.values(), ignore_index=True)


def importance(S: pd.DataFrame) -> pd.Series:
    """Root mean square of each constant's column, largest first."""
    return np.sqrt((S**2).mean()).sort_values(ascending=False)


def _unit_columns(S: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The names of the columns that move something, and those columns scaled to length 1."""
    norms = np.linalg.norm(S.to_numpy(), axis=0)
    moving = norms > 0
    return list(S.columns[moving]), S.to_numpy()[:, moving] / norms[moving]


def gamma(S: pd.DataFrame, subset) -> float:
    """Collinearity index of a set of constants (Brun et al. 2001, eq. 8); infinite when one
    of them moves nothing."""
    names, n = _unit_columns(S[list(subset)])
    if len(names) < len(subset):
        return np.inf
    return float(1 / np.sqrt(max(np.linalg.eigvalsh(n.T @ n)[0], 1e-300)))


def _pair_gammas(S: pd.DataFrame, names: list[str]) -> np.ndarray:
    """gamma of every pair of ``names`` (infinite where a constant moves nothing in S)."""
    moving, n = _unit_columns(S[names])
    g = 1 / np.sqrt(np.maximum(1 - np.abs(n.T @ n), 1e-300))
    out = np.full((len(names), len(names)), np.inf)
    at = [names.index(m) for m in moving]
    out[np.ix_(at, at)] = g
    return out


def pair_table(per: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every pair of constants: gamma with every scenario's rows stacked, and the smallest
    gamma of any single scenario (``best``, in ``best_scenario``): a pair that some
    experiment tells apart is not a pair to merge. Largest stacked gamma first; a pair where
    one constant moves nothing observed has gamma infinity."""
    S = stacked(per)
    names, n = _unit_columns(S)
    cos = np.abs(n.T @ n)
    G = _pair_gammas(S, names)
    each = np.stack([_pair_gammas(P, names) for P in per.values()])
    best = each.min(axis=0)
    where = np.array(list(per))[each.argmin(axis=0)]
    rows = [
        (names[i], names[j], cos[i, j], G[i, j], best[i, j], where[i, j])
        for i, j in itertools.combinations(range(len(names)), 2)
    ]
    df = pd.DataFrame(
        rows, columns=["constant", "other", "abs_cos", "gamma", "best", "best_scenario"]
    )
    return df.sort_values("gamma", ascending=False, ignore_index=True)


def spectrum(S: pd.DataFrame) -> np.ndarray:
    """Eigenvalues of the normalised cross-product of the columns that move something,
    smallest first."""
    n = _unit_columns(S)[1]
    return np.linalg.eigvalsh(n.T @ n)


def largest_identifiable(S: pd.DataFrame, limit: float = GAMMA_LIMIT) -> list[str]:
    """Greedy: add constants in order of importance while the set's gamma stays below limit."""
    chosen: list[str] = []
    for name in importance(S).index:
        if np.linalg.norm(S[name]) == 0:
            continue
        if gamma(S, [*chosen, name]) < limit:
            chosen.append(name)
    return chosen


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=10, help="pairs to print (default 10)")
    args = ap.parse_args(argv)
    from lifecycle.model import load_model

    model = load_model(MODEL)
    per = sensitivities(model)
    S = stacked(per)
    k = S.shape[1]
    print(
        f"{k} behavioural constants; {len(per)} scenarios (scenarios/ and scenarios/contrasts/) "
        f"x {len(OBSERVED)} series, yearly: {S.shape[0]} observations\n"
    )
    imp = importance(S)
    print(
        "Importance (rms change of the observed series, in units of their size, across the "
        "plausible range), smallest:"
    )
    for name, v in imp.tail(8).items():
        print(f"  {v:9.4f}  {name}")
    pairs = pair_table(per)
    print(
        f"\nMost collinear pairs, every series of every scenario stacked (gamma >= {GAMMA_LIMIT:g}:"
        " practically not told apart), with the scenario that tells them apart best:"
    )
    for r in pairs.head(args.top).itertuples():
        print(
            f"  gamma {r.gamma:6.1f} (best {r.best:5.1f} in {r.best_scenario})  "
            f"{r.constant} / {r.other}"
        )
    stacked_bad = int((pairs["gamma"] >= GAMMA_LIMIT).sum())
    never = pairs[pairs["best"] >= GAMMA_LIMIT]
    print(
        f"  stacked gamma at or above {GAMMA_LIMIT:g}: {stacked_bad} of {len(pairs)} pairs; "
        f"not told apart by any single scenario: {len(never)}"
        + (
            ""
            if never.empty
            else " (" + "; ".join(never["constant"] + " / " + never["other"]) + ")"
        )
    )
    ev = spectrum(S)
    print(
        f"\nAll {k} together: gamma {1 / np.sqrt(ev[0]):.0f}; {int((ev < GAMMA_LIMIT**-2).sum())} "
        f"of the {k} directions of the normalised sensitivities have gamma >= {GAMMA_LIMIT:g}: "
        "near the model's values every series of every scenario pins down at most "
        f"{int((ev >= GAMMA_LIMIT**-2).sum())} combinations of the constants."
    )
    H = stacked(sensitivities(model, [ROOT / "scenarios" / "baseline.toml"], HISTORY))
    hist = largest_identifiable(H)
    eh = spectrum(H)
    print(
        f"\nOne cluster's history of Firms and Employment (the baseline, yearly, 81 years): "
        f"{int((eh >= GAMMA_LIMIT**-2).sum())} directions with gamma < {GAMMA_LIMIT:g}; "
        f"a greedy set in order of importance: {', '.join(hist)}. A fit of more constants "
        "than that to such a record is not determined by it near these values."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
