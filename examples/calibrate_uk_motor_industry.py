"""Fit the cluster model's Firms to the number of UK motor-car makers, 1897-1956.

The industry grew from 9 makers in 1897 to 88 in 1922, then shook out to 31 by 1929 and 20
by 1956 (firms exhibiting at the Motor Show; see ``data/SOURCES.md``). We fit the few
constants that govern entry, exit and market capacity in ``models/cluster_lifecycle.mdl``:

- ``startup rate``: start-ups per firm per year in an uncrowded market (entry);
- ``established exit rate``: exits per established firm per year in a balanced market (exit);
- ``market potential``: the jobs the market supports, which over ``viable firm size`` sets
  how many firms fit (capacity; the two enter only as a ratio, so only one is fitted);
- ``market perception time``: how long firms take to notice that the market is full, which
  is what lets entry overshoot capacity and exits then thin the crowd;
- ``scale elasticity``: how fast the size a firm needs grows with technology (Klepper's
  rising minimum efficient scale), which shrinks the market's room for firms over time.

Model time 0 is 1897 and the 9 firms of 1897 are the initial young firms. The entries and
exits columns are not fitted: they are kept back to check what the fitted run says about
births and deaths. Run from the repository root::

    python examples/calibrate_uk_motor_industry.py [--out out/examples]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from lifecycle.calibration import calibrate
from lifecycle.data import read_data
from lifecycle.model import load_model

ROOT = Path(__file__).resolve().parents[1]
BOUNDS = {
    "startup rate": (0.02, 0.3),
    "established exit rate": (0.005, 0.15),
    "market potential": (100.0, 20000.0),
    "market perception time": (0.25, 10.0),
    "scale elasticity": (0.0, 2.0),
}
START = {"initial young firms": 9, "initial established firms": 0}  # 1897: nine new makers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "examples")
    args = ap.parse_args()

    model = load_model(ROOT / "models" / "cluster_lifecycle.mdl")
    data = read_data(
        ROOT / "data" / "uk_motor_car_firms_1897_1956.csv",
        time_column="year",
        columns={
            "number_of_firms": "Firms",
            "entries_since_previous_date": "Firm Births",
            "exits_since_previous_date": "Total Exits",
        },
        time_offset=1897,
        model=model,
    )
    # A global search: the objective has several basins (an early or a late peak).
    fit = calibrate(
        model, data[["Firms"]], BOUNDS, scenario=START, method="differential_evolution",
        seed=1897,
    )  # fmt: skip
    print(fit.summary())

    firms = fit.run["Firms"]
    years = firms.index.to_numpy() + 1897
    peak_i = int(np.argmax(firms.to_numpy()))
    peak, peak_year = float(firms.iloc[peak_i]), years[peak_i]
    final = float(np.interp(59.0, firms.index.to_numpy(), firms.to_numpy()))
    gained = {}  # what the fitted run says about births and exits, which were not fitted
    for name in ("Firm Births", "Total Exits"):
        run = model.run(
            {**START, **fit.params}, time_step=fit.time_step, saveper=fit.time_step,
            final_time=59, variables=[name],
        )  # fmt: skip
        t, y = run.index.to_numpy(), run[name].to_numpy()
        cum = np.concatenate([[0.0], np.cumsum(y[:-1] * np.diff(t))])
        obs = data[name].dropna()
        ends = obs.index.to_numpy()
        starts = data.index.to_numpy()[np.searchsorted(data.index.to_numpy(), ends) - 1]
        model_totals = np.interp(ends, t, cum) - np.interp(starts, t, cum)
        ss_res = float(np.sum((obs.to_numpy() - model_totals) ** 2))
        ss_tot = float(np.sum((obs.to_numpy() - obs.mean()) ** 2))
        gained[name] = (1 - ss_res / ss_tot, obs.to_numpy(), model_totals)

    print("\nThe fit against the record:")
    print(f"  R² of Firms: {fit.r2['Firms']:.3f}")
    print(f"  peak: model {peak:.0f} firms in {peak_year:.0f}; data 88 in 1922")
    print(f"  1956: model {final:.0f} firms; data 20")
    print(f"  shakeout depth (1956 / peak): model {final / peak:.2f}; data {20 / 88:.2f}")
    for name, (r2, obs, mod) in gained.items():
        data_text = ", ".join(f"{v:.0f}" for v in obs)
        model_text = ", ".join(f"{v:.0f}" for v in mod)
        print(f"  {name} between dates (not fitted): R² {r2:.2f}")
        print(f"    data {data_text}\n    model {model_text}")
    at_bound = fit.at_bound()
    if at_bound:
        print(f"  at a bound of its range: {', '.join(at_bound)}")
    print(
        "\nWhat the fit says. The model does produce a rise and a decline: entry outruns a"
        " market whose fullness firms perceive late, and the crowding that follows raises exit"
        " rates, and a firm size that grows with technology makes the decline deep. But it"
        " cannot make the shakeout as late or as sharp as the record: the fit compromises with"
        " an earlier, lower, rounder peak, and its entries and exits between dates only partly"
        " follow the pattern of the 1920s (few entries, mass exits). The reason is"
        " structural. In the model the size a firm needs grows with the cluster's technology"
        " level, which follows a frontier moving a steady 2 % a year; the fit pushes the"
        " scale elasticity towards its upper bound to make capacity for firms fall fast"
        " enough. The British shakeout of the 1920s came with mass production (Morris,"
        " Austin): a jump in the scale a maker needed to survive, not a steady drift. A"
        " minimum efficient scale driven by cumulative output, or a process innovation as an"
        " event, would be the change to make. The correlation table shows how little the"
        " ten counts pin down five constants."
    )
    args.out.mkdir(parents=True, exist_ok=True)
    figure = args.out / "calibrate_uk_motor_industry.png"
    fit.plot(title="UK motor-car makers 1897-1956 and the fitted cluster model").savefig(
        figure, dpi=120
    )
    print(f"\nwrote {figure}")


if __name__ == "__main__":
    main()
