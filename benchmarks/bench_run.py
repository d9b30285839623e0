"""Time PySD's translation of the main model and one baseline run (translation cached).

Prints the median of several repetitions, and the ratio of the two, measured in this one
process so that the ratio stays meaningful on a shared, noisy machine.

    python benchmarks/bench_run.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "cluster_lifecycle.mdl"


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    from lifecycle.model import Model, translate

    with tempfile.TemporaryDirectory() as cache:
        os.environ["LIFECYCLE_CACHE"] = cache
        t0 = time.perf_counter()
        translate(MODEL)
        translation = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = Model(MODEL)  # cached translation: load only
        load = time.perf_counter() - t0
        model.run()  # warm-up
        steps = round(model.control["final_time"] / model.control["time_step"])
        all_vars = timed(lambda: model.run(), args.repeat)
        few = timed(lambda: model.run(variables=["Firms", "Employment"]), args.repeat)
        raw = timed(lambda: model.pysd.run(return_columns=["Firms"]), args.repeat)
    med = statistics.median
    print(f"model: {MODEL.name}, {steps} Euler steps of {model.control['time_step']} year")
    print(f"translation (PySD read_vensim, cold cache): {translation * 1e3:8.1f} ms")
    print(f"load from cached translation:               {load * 1e3:8.1f} ms")
    print(
        f"baseline run, every variable (Model.run):    {med(all_vars) * 1e3:8.1f} ms"
        f"  (min {min(all_vars) * 1e3:.1f})"
    )
    print(
        f"baseline run, 2 variables (Model.run):       {med(few) * 1e3:8.1f} ms"
        f"  (min {min(few) * 1e3:.1f})"
    )
    print(
        f"baseline run, 1 variable (bare PySD run):    {med(raw) * 1e3:8.1f} ms"
        f"  (min {min(raw) * 1e3:.1f})"
    )
    print(f"ratio translation / run (2 variables):       {translation / med(few):8.1f}")
    print(f"ratio Model.run overhead (2 vars / bare):    {med(few) / med(raw):8.2f}")


if __name__ == "__main__":
    main()
