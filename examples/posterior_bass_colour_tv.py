"""The posterior of the Bass colour-TV fit (Bayesian calibration with emcee).

The same fit as ``calibrate_bass_colour_tv.py`` (US colour-TV sales 1963-1970, TIME STEP
0.25), now with ``method="mcmc"``: uniform priors within the bounds, a Gaussian likelihood
whose sd is the least-squares residual sd, 32 walkers x 3,000 steps (96,000 model runs on
the batch engine). It prints the posterior medians beside the least-squares values, the 95 %
intervals, the integrated autocorrelation time and the acceptance fraction, and writes the
fit with its posterior-predictive band, the pair plot and the samples. Run from the
repository root::

    python examples/posterior_bass_colour_tv.py [--out out/examples]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "examples")
    ap.add_argument("--steps", type=int, default=3000)
    args = ap.parse_args()
    model = load_model(ROOT / "models" / "bass_diffusion.mdl")
    sales = read_data(
        ROOT / "data" / "bass_colour_tv_sales.csv",
        columns={"sales_thousand_units": "adoption rate"},  # thousand sets a year
        time_offset=1962,  # model time 1 = end of 1963
        model=model,
    )
    fit = calibrate(
        model, sales, BOUNDS, time_step=0.25, method="mcmc", walkers=32, steps=args.steps,
        seed=1963,
    )  # fmt: skip
    print(fit.summary())
    print("\nposterior median against least squares:")
    for name in BOUNDS:
        med, ls = fit.params[name], fit.least_squares[name]
        lo, hi = fit.ci[name]
        print(f"  {name:<24} median {med:>10.4g}  least squares {ls:>10.4g}  "
              f"({med / ls - 1:+.1%})  95% [{lo:.4g}, {hi:.4g}]")  # fmt: skip
    print(
        f"\nWhat the posterior says: the market is {fit.params[M] / 1000:.1f} million sets "
        f"(95% {fit.ci[M][0] / 1000:.1f}-{fit.ci[M][1] / 1000:.1f}); p is the least certain, "
        "its posterior skewed towards larger values (so its median sits above the least-"
        "squares value), and p and q trade off (negative correlation): eight annual points "
        "cannot tell early innovators from early imitation."
    )
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / "posterior_bass_colour_tv"
    fit.plot(title="US colour-TV sales: Bass model, posterior median and 95 % predictive band"
             ).savefig(f"{stem}.png", dpi=120)  # fmt: skip
    fit.plot_posterior().savefig(f"{stem}-pairs.png", dpi=120)
    fit.write_samples(f"{stem}-samples.csv")
    print(f"\nwrote {stem}.png, {stem}-pairs.png, {stem}-samples.csv")


if __name__ == "__main__":
    main()
