"""End-to-end wall time of a Sobol' analysis of ten constants with N = 1024 (issue 5).

Goal: under ten seconds from a cold start, for the main model's baseline with the ten
uncertain constants of ``scenarios/uncertain/baseline_uncertain.toml``, second-order indices
included (N (2D + 2) = 22,528 runs), five metrics, outputs written. Prints where the time
goes. Run::

    python benchmarks/bench_sensitivity.py [--first-order] [-n 1024]
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
METRICS = [
    "Employment@40",
    "peak(Firms)",
    "tpeak(Firms)",
    "final(Network Members)",
    "mean(Employment, 20, 40)",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1024)
    ap.add_argument("--first-order", action="store_true", help="skip second-order indices")
    args = ap.parse_args()

    steps: dict[str, float] = {}
    t = time.perf_counter()
    from lifecycle.model import load_model
    from lifecycle.sensitivity import sobol
    from lifecycle.uncertain import load_uncertain

    steps["imports"] = time.perf_counter() - t
    t = time.perf_counter()
    model = load_model()
    steps["load model (PySD, cached translation)"] = time.perf_counter() - t
    t = time.perf_counter()
    spec = load_uncertain(ROOT / "scenarios" / "uncertain" / "baseline_uncertain.toml", model)
    baseline = ROOT / "scenarios" / "baseline.toml"
    scenario = None
    if baseline.is_file():
        from lifecycle.scenarios import load_scenario

        scenario = load_scenario(baseline, model)
    steps["load uncertain file and scenario"] = time.perf_counter() - t
    t = time.perf_counter()
    res = sobol(
        model, scenario, spec, METRICS, n=args.n, seed=1234, calc_second_order=not args.first_order
    )
    steps["sobol() total"] = time.perf_counter() - t
    for k, v in res.timings.items():
        steps[f"  {k}"] = v
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        res.write(Path(tmp) / "sobol")
    steps["write outputs (CSV, figure, JSON)"] = time.perf_counter() - t
    total = time.perf_counter() - T0
    cpu = sum(os.times()[:4])  # this process and its finished workers, user + system

    print(
        f"Sobol' analysis: {len(spec)} constants, N = {args.n}, "
        f"{len(res.samples):,} runs, {len(METRICS)} metrics, "
        f"second order {'no' if args.first_order else 'yes'}"
    )
    print(f"engine: {res.options['engine']} (lifecycle.ensemble, engine='auto')")
    for k, v in steps.items():
        print(f"  {k:<42s} {v:7.2f} s")
    print(
        f"end to end (process start to outputs written): {total:.2f} s "
        f"({'meets' if total < 10 else 'MISSES'} the 10 s goal)"
    )
    print(
        f"CPU time {cpu:.2f} s on {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.1f} (wall times grow when other processes share the cores)"
    )
    top = res.indices[res.indices["rank"] <= 3][["metric", "parameter", "S1", "ST"]]
    print(top.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
