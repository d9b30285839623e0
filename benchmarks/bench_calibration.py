"""Wall time and number of model runs of each example fit (issue 4).

The colour-TV fits (Bass model, three starts, at TIME STEP 1, 0.25 and 1/64) and the UK
motor-industry fit (cluster model, differential evolution over five constants), each with
the batch engine (the default when it reproduces PySD) and with PySD alone. Run::

    python benchmarks/bench_calibration.py [--skip-pysd-de]
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
from calibrate_uk_motor_industry import BOUNDS as UK_BOUNDS  # noqa: E402
from calibrate_uk_motor_industry import START  # noqa: E402

from lifecycle.calibration import calibrate  # noqa: E402
from lifecycle.data import read_data  # noqa: E402
from lifecycle.model import load_model  # noqa: E402


def timed(label: str, **kwargs) -> None:
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = calibrate(**kwargs)
    wall = time.perf_counter() - t
    print(
        f"{label:<44} {fit.engine:>6} {fit.nfev:>6} runs {wall:>8.2f} s "
        f"{1000 * wall / fit.nfev:>7.2f} ms/run  cost {fit.cost:.6g}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-pysd-de", action="store_true", help="skip the slow PySD-only DE fit")
    args = ap.parse_args()
    bass = load_model(ROOT / "models" / "bass_diffusion.mdl")
    tv = read_data(
        ROOT / "data" / "bass_colour_tv_sales.csv",
        time_column="year",
        columns={"sales_thousand_units": "adoption rate"},
        time_offset=1962,
        model=bass,
    )
    cluster = load_model(ROOT / "models" / "cluster_lifecycle.mdl")
    uk = read_data(
        ROOT / "data" / "uk_motor_car_firms_1897_1956.csv",
        time_column="year",
        columns={"number_of_firms": "Firms"},
        time_offset=1897,
        model=cluster,
    )
    print(f"{'fit':<44} {'engine':>6} {'model runs':>11} {'wall':>9} {'per run':>13}")
    for engine in ("auto", "pysd"):
        for dt in (1.0, 0.25, 1 / 64):
            timed(
                f"colour TV, Bass, dt={dt:g}, 3 starts",
                model=bass, data=tv, params=BASS_BOUNDS, time_step=dt, starts=3, seed=1963,
                engine=engine,
            )  # fmt: skip
        if engine == "pysd" and args.skip_pysd_de:
            continue
        timed(
            "UK motor makers, cluster model, DE, 5 params",
            model=cluster, data=uk, params=UK_BOUNDS, scenario=START,
            method="differential_evolution", seed=1897, engine=engine,
        )  # fmt: skip


if __name__ == "__main__":
    main()
