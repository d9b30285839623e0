"""Check the large-firm-exit scenario against Oulu's ICT cluster after Nokia's retreat.

Oulu (Finland) had a mature ICT cluster around Nokia's R&D and networks sites. Nokia cut its
Oulu staff from about 5,000 at the peak to "less than half that" by December 2013 (Reuters);
about 4,500 ICT jobs were lost to the low of summer 2014, about 400 start-ups were founded
with Nokia's and Microsoft's support, and by 2015 the cluster again had more than 12,500 ICT
jobs in over 400 companies, about 13,000 in 2017 (``data/oulu_ict_cluster_points.csv``,
sources in ``data/SOURCES.md``).

The record is a handful of points, so only the region's size (``cluster size scale``) is
fitted to the three levels of 2015-2017, with Nokia held at 5,000 jobs and its exit at 2012;
how mature the cluster was when Nokia left (``spin up``: the years the model runs before the
first data year) is first fitted too, then held at several values, because the levels alone
do not say it. The other points (the jobs lost to the 2014 low, the start-ups) are then a
check of the scenario's mechanism (lay-offs, spin-offs from leavers, renewal), not of the
fit. Run from
the repository root::

    python examples/check_oulu_large_firm_exit.py [--out out/examples]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from lifecycle.calibration import Parameter, calibrate
from lifecycle.model import load_model

ROOT = Path(__file__).resolve().parents[1]
POINTS = ROOT / "data" / "oulu_ict_cluster_points.csv"
NOKIA_PEAK = 5000.0  # jobs of Nokia and Nokia Siemens Networks in Oulu at one point (Reuters)
EXIT = 2012.0  # Nokia's Oulu cuts of 2012-2014 (the large firm leaves over about two years)


def point(measure_starts: str, year: int) -> float:
    """The value of the one row of ``POINTS`` for ``year`` whose measure starts so."""
    with POINTS.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if int(r["year"]) == year]
    hits = [r for r in rows if r["measure"].startswith(measure_starts)]
    if len(hits) != 1:
        raise SystemExit(f"{POINTS}: expected one '{measure_starts}' row for {year}")
    return float(hits[0]["value"])


def observations() -> pd.DataFrame:
    """The fitted levels: ICT jobs in 2015 and 2017, ICT companies in 2015."""
    jobs = {
        2015: point("ICT employment in Oulu", 2015),
        2017: point("ICT employment in Oulu", 2017),
    }
    firms = {2015: point("ICT companies in Oulu", 2015)}
    data = pd.DataFrame({"Employment": jobs, "Firms": firms}).sort_index().astype(float)
    data.index = pd.Index(data.index.astype(float), name="time")
    data.attrs["source"] = str(POINTS)
    return data


def sized(model, data, spin_up=None):
    """Fit the cluster's size to the levels (and its maturity when ``spin_up`` is None).

    Nokia's jobs are "large firm size" x "cluster size scale": they are held at 5,000 while
    the scale is fitted (a fixed point: refit until the scale moves by less than 1 %).
    """
    scale, fit = 1.0, None
    for _ in range(12):
        held = {
            "large firm size": Parameter("large firm size", NOKIA_PEAK / scale, vary=False),
            "large firm exit year": Parameter("large firm exit year", EXIT, vary=False),
        }
        bounds = {"cluster size scale": (0.2, 30.0, scale), **held}
        if spin_up is None:
            fit = calibrate(model, data, {**bounds, "spin up": (10.0, 60.0, 35.0)})
        else:
            fit = calibrate(model, data, bounds, spin_up=spin_up, method="least_squares")
        moved = abs(fit.params["cluster size scale"] / scale - 1)
        scale = fit.params["cluster size scale"]
        if moved < 0.01:
            break
    return fit


def check(model, fit) -> dict[str, float]:
    """What the sized run says about the points it was not fitted to."""
    run = model.run(
        fit.constants(),
        final_time=float(2018 - fit.year_zero),
        time_step=fit.time_step,
        saveper=fit.time_step,
        variables=["Employment", "Large Firm Jobs", "Layoff Spinoffs", "Corporate Spinoffs",
                   "Firms"],
    )  # fmt: skip
    years = run.index.to_numpy() + fit.year_zero
    jobs = run["Employment"].to_numpy()
    before = float(jobs[years <= EXIT].max())
    window = years >= EXIT  # to 2018, the end of the check run
    low_i = int(np.argmin(np.where(window, jobs, np.inf)))
    spun = (run["Layoff Spinoffs"] + run["Corporate Spinoffs"]).to_numpy()
    after = (years >= EXIT) & (years < 2018)
    return {
        "history": EXIT - fit.year_zero,  # years of cluster history when Nokia leaves
        "scale": fit.params["cluster size scale"],
        "nokia": float(run["Large Firm Jobs"].iloc[0]),
        "before": before,
        "lost": before - float(jobs[low_i]),
        "low year": float(years[low_i]),
        "startups": float(np.sum(spun[after]) * fit.time_step),
        "jobs 2015": float(np.interp(2015.0, years, jobs)),
        "jobs 2017": float(np.interp(2017.0, years, jobs)),
        "firms 2015": float(np.interp(2015.0, years, run["Firms"].to_numpy())),
        "r2": fit.r2["Employment"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "examples")
    args = ap.parse_args()
    model = load_model(ROOT / "models" / "cluster_lifecycle.mdl")
    data = observations()
    lost_anchor = point("Cumulative ICT jobs lost", 2014)
    startups_anchor = point("Start-ups established in Oulu", 2018)

    fit = sized(model, data)
    print(fit.summary())
    c = check(model, fit)
    print("\nThe scenario against the points it was not fitted to (maturity fitted):")
    print(f"  Nokia jobs before the exit: model {c['nokia']:.0f} (held), data about "
          f"{NOKIA_PEAK:.0f}")  # fmt: skip
    print(f"  ICT jobs lost from the pre-exit level to the low: model {c['lost']:.0f} (low in "
          f"{c['low year']:.1f}), data about {lost_anchor:.0f} (low in summer 2014)")  # fmt: skip
    print(f"  start-ups founded by leavers {EXIT:.0f}-2018: model {c['startups']:.0f}, data about "
          f"{startups_anchor:.0f} with Nokia/Microsoft support")  # fmt: skip
    for y in (2015, 2017):
        observed = data.loc[y, "Employment"]
        print(f"  ICT jobs in {y}: model {c[f'jobs {y}']:.0f}, data {observed:.0f}")
    print(f"  ICT firms in 2015: model {c['firms 2015']:.0f}, data over "
          f"{data.loc[2015.0, 'Firms']:.0f}")  # fmt: skip

    # The levels alone do not say how mature the cluster was: hold the maturity instead
    print("\nThe same check with the cluster's history before the exit held (size refitted):")
    print(
        "  history  scale  jobs before  lost to the low (year)  jobs 2015  jobs 2017  "
        "firms 2015  start-ups"
    )
    rows, fits = [c], [fit]
    for history in (20.0, 30.0, 40.0, 50.0):
        f = sized(model, data, spin_up=history + 2015.0 - EXIT)
        r = check(model, f)
        rows.append(r)
        fits.append(f)
    for r in rows:
        print(f"  {r['history']:5.0f} y  {r['scale']:5.2f}  {r['before']:11.0f}  "
              f"{r['lost']:14.0f} ({r['low year']:.1f})  {r['jobs 2015']:9.0f}  "
              f"{r['jobs 2017']:9.0f}  {r['firms 2015']:10.0f}  {r['startups']:9.0f}")  # fmt: skip
    near = min(rows, key=lambda r: abs(r["lost"] - lost_anchor))
    print(
        f"\nThe loss nearest Oulu's {lost_anchor:.0f} jobs comes with {near['history']:.0f} years "
        f"of history: {near['lost']:.0f} jobs lost, then {near['jobs 2015']:.0f} jobs in 2015 "
        f"and {near['jobs 2017']:.0f} in 2017 against Oulu's {data.loc[2015, 'Employment']:.0f} "
        f"and {data.loc[2017, 'Employment']:.0f}."
    )
    print(LESSON)
    args.out.mkdir(parents=True, exist_ok=True)
    figure = args.out / "check_oulu_large_firm_exit.png"
    labels = [f"{r['history']:.0f} years of history" + (" (fitted)" if i == 0 else "")
              for i, r in enumerate(rows)]  # fmt: skip
    fig = fits[0].plot(
        window=False, others=fits[1:], labels=labels,
        title="Oulu ICT after Nokia's retreat: the large-firm-exit scenario sized to 2015-2017",
    )  # fmt: skip
    for ax in fig.axes:  # the runs' years up to the check's end (the fitted run goes on)
        ax.set_xlim(fits[-1].year_zero - 2, 2020)
    fig.savefig(figure, dpi=120)
    print(f"\nwrote {figure}")


LESSON = (
    "What the check says. A young cluster still growing when the large firm leaves (the\n"
    "maturity the levels prefer) loses no jobs: its SMEs are short of skilled labour, so the\n"
    "laid-off staff fill their vacancies at once. A mature cluster, whose SMEs have few\n"
    "unfilled jobs, loses the large firm's jobs and its suppliers', as Oulu did, but keeps\n"
    "shrinking to 2018: the burst of leavers' spin-offs (which leaves it with about twice\n"
    "Oulu's 400 firms) does not bring the jobs back within the three years in which Oulu's\n"
    "ICT employment returned to 12,500-13,000. The model has the dip or the recovery, not\n"
    "both; what it lacks for Oulu is the inflow of outside firms and their re-hiring of the\n"
    "laid-off engineers (11 international companies opened offices in autumn 2014)."
)


if __name__ == "__main__":
    main()
