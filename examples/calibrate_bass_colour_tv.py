"""Fit the Bass diffusion model to US colour-TV sales, 1963-1970 (Bass 1969).

The stock-and-flow model ``models/bass_diffusion.mdl`` is fitted to annual sales: the sales
of year k are compared with the adopters gained over (k-1, k], model time 0 being the start
of 1963 (so ``time_offset=1962``). Euler's TIME STEP changes the fitted innovation
coefficient p a lot and q and m little, so the fit is made at the three time steps of the
reference table in ``data/SOURCES.md`` and each is compared with its own row. Run from the
repository root::

    python examples/calibrate_bass_colour_tv.py [--out out/examples]

It prints the fit's table and the comparison, and writes the figure of the finest fit.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lifecycle.calibration import calibrate
from lifecycle.data import read_data
from lifecycle.model import load_model

ROOT = Path(__file__).resolve().parents[1]
P, Q, M = "innovation coefficient", "imitation coefficient", "market size"
BOUNDS = {P: (0.001, 0.2), Q: (0.05, 2.0), M: (5000.0, 200000.0)}
# data/SOURCES.md: "stock-and-flow model, Euler dt = ..." rows, (m thousand, p, q)
REFERENCE = {
    1.0: (36793, 0.0329, 0.6366),
    0.25: (38942, 0.0217, 0.6229),
    1 / 64: (39613, 0.0187, 0.6163),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "examples")
    args = ap.parse_args()

    model = load_model(ROOT / "models" / "bass_diffusion.mdl")
    sales = read_data(
        ROOT / "data" / "bass_colour_tv_sales.csv",
        time_column="year",
        columns={"sales_thousand_units": "adoption rate"},  # thousand sets a year
        time_offset=1962,  # model time 1 = end of 1963
        model=model,
    )
    fits = {}
    for dt in REFERENCE:
        # Three starts (the initial values and two Latin hypercube points) guard against a
        # local optimum; annual sales are totals, compared with the flow summed over a year.
        fits[dt] = calibrate(model, sales, BOUNDS, time_step=dt, starts=3, seed=1963)
    fine = fits[1 / 64]
    print(fine.summary())
    print()
    print("fitted against data/SOURCES.md (stock-and-flow rows, same time step):")
    print(f"{'TIME STEP':>9}  {'m':>8} {'ref':>7} {'diff':>6}  {'p':>7} {'ref':>7} {'diff':>6}"
          f"  {'q':>6} {'ref':>6} {'diff':>6}  {'R²':>6}")  # fmt: skip
    for dt, fit in fits.items():
        m, p, q = REFERENCE[dt]
        got = fit.params
        print(
            f"{dt:>9.4g}  {got[M]:>8.0f} {m:>7} {got[M] / m - 1:>+6.1%}  {got[P]:>7.4f} {p:>7}"
            f" {got[P] / p - 1:>+6.1%}  {got[Q]:>6.4f} {q:>6} {got[Q] / q - 1:>+6.1%}"
            f"  {fit.r2['adoption rate']:>6.3f}"
        )
    print(
        f"\nWhat the fit says: about {fine.params[M] / 1000:.1f} million sets (first purchases)"
        " are eventually sold"
        f" (95% CI {fine.ci[M][0] / 1000:.1f}-{fine.ci[M][1] / 1000:.1f}); imitation "
        f"(q = {fine.params[Q]:.2f}) drives adoption far more than innovation "
        f"(p = {fine.params[P]:.3f}), about {fine.params[Q] / fine.params[P]:.0f} times as much."
        "\nMeta-analysis averages are p = 0.03, q = 0.38 (Sultan, Farley & Lehmann 1990):"
        " colour TV spread by word of mouth faster than the typical durable."
    )
    args.out.mkdir(parents=True, exist_ok=True)
    figure = args.out / "calibrate_bass_colour_tv.png"
    fine.plot(title="US colour-TV sales and the Bass model (TIME STEP 1/64)").savefig(
        figure, dpi=120
    )
    print(f"\nwrote {figure}")


if __name__ == "__main__":
    main()
