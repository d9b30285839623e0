"""Calibration speed: the example fits, and 20,000 posterior samples of the cluster model.

1. The colour-TV fits (Bass model at TIME STEP 1, 0.25 and 1/64) with the batch engine (the
   default) and with PySD alone: wall time and model runs.
2. Bayesian calibration of the cluster model to the UK motor-car makers (five constants):
   ``calibrate(method="mcmc")`` with 200 walkers x 100 steps = 20,000 posterior samples on
   the batch engine (half an ensemble per batch; a proposal outside the bounds is refused
   without a model run, so there are fewer runs than samples). The same number
   of PySD runs is timed in this process from a few hundred runs and extrapolated (a
   20,000-run PySD loop would take many minutes; the per-run time is flat).

    python benchmarks/bench_calibration.py [--pysd-runs 200] [--skip-pysd-fits]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

from calibrate_bass_colour_tv import BOUNDS as BASS_BOUNDS  # noqa: E402

from lifecycle.calibration import calibrate  # noqa: E402
from lifecycle.data import read_data  # noqa: E402
from lifecycle.model import load_model  # noqa: E402

UK_START = {"initial young firms": 9, "initial established firms": 0,
            "large firm initially present": 0}  # fmt: skip
UK_BOUNDS = {
    "startup rate": (0.02, 0.3),
    "established exit rate": (0.005, 0.15),
    "market potential": (1000.0, 50000.0),
    "localisation half size": (100.0, 20000.0),
    "viable firm size": (5.0, 200.0),
}
WALKERS, STEPS = 200, 100  # 20,000 posterior samples


def timed(label: str, **kwargs):
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = calibrate(**kwargs)
    wall = time.perf_counter() - t
    print(
        f"{label:<46} {fit.engine:>6} {fit.nfev:>7} runs {wall:>8.2f} s "
        f"{1000 * wall / fit.nfev:>7.3f} ms/run"
    )
    return fit, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pysd-runs", type=int, default=200, help="PySD runs timed (extrapolated)")
    ap.add_argument("--skip-pysd-fits", action="store_true", help="skip the PySD-only Bass fits")
    args = ap.parse_args()
    bass = load_model(ROOT / "models" / "bass_diffusion.mdl")
    tv = read_data(ROOT / "data" / "bass_colour_tv_sales.csv",
                   columns={"sales_thousand_units": "adoption rate"}, time_offset=1962,
                   model=bass)  # fmt: skip
    print(f"{'fit':<46} {'engine':>6} {'model runs':>12} {'wall':>9} {'per run':>14}")
    for engine in ("auto", "pysd"):
        if engine == "pysd" and args.skip_pysd_fits:
            continue
        for dt in (1.0, 0.25, 1 / 64):
            timed(f"colour TV, Bass, dt={dt:g}, default 8 starts", model=bass, data=tv,
                  params=BASS_BOUNDS, time_step=dt, engine=engine)  # fmt: skip

    cluster = load_model(ROOT / "models" / "cluster_lifecycle.mdl")
    uk = read_data(
        ROOT / "data" / "uk_motor_car_firms_1897_1956.csv",
        columns={"number_of_firms": "Firms"},
        time_offset=1897,
        model=cluster,
    )
    common = dict(model=cluster, data=uk, params=UK_BOUNDS, scenario=UK_START,
                  intervals="linear", seed=1897)  # fmt: skip
    print(
        f"\ncluster model, UK motor makers, {len(UK_BOUNDS)} constants, TIME STEP "
        f"{cluster.control['time_step']:g}, {uk.index.max() - uk.index.min():g} years"
    )
    _, t_fit = timed("least squares (the MCMC's starting point)", **common)
    fit, t_all = timed(f"mcmc, {WALKERS} walkers x {STEPS} steps", method="mcmc",
                       walkers=WALKERS, steps=STEPS, **common)  # fmt: skip
    samples = fit.walkers * fit.chain_steps
    t_mcmc = t_all - t_fit
    print(f"  posterior samples drawn: {samples} ({fit.chain_runs} model runs, "
          f"{len(fit.samples)} kept after burn-in); sampling {t_mcmc:.1f} s "
          f"(the fit before it {t_fit:.1f} s); acceptance {fit.acceptance:.2f}, "
          f"tau up to {max(fit.tau.values()):.1f} steps")  # fmt: skip

    params = {**UK_START, **fit.constants()}
    t = time.perf_counter()
    for _ in range(args.pysd_runs):
        cluster.run(params, final_time=fit.setup.end, time_step=fit.time_step,
                    saveper=fit.time_step, variables=["Firms"])  # fmt: skip
    per_run = (time.perf_counter() - t) / args.pysd_runs
    pysd_total = per_run * samples
    print(
        f"  PySD: {args.pysd_runs} runs timed, {1000 * per_run:.1f} ms/run, so {samples} runs "
        f"would take {pysd_total:.0f} s (extrapolated)"
    )
    print(
        f"  sampling on the batch engine: {t_mcmc:.1f} s for {samples} samples "
        f"({'under' if t_mcmc < 60 else 'OVER'} the 60 s target), "
        f"{pysd_total / t_mcmc:.0f}x faster than the same number of PySD runs"
    )


if __name__ == "__main__":
    main()
