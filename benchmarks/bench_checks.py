"""Time of ``lifecycle check --ensemble``: 20 checks over a 1,000-run ensemble, in one process.

    python benchmarks/bench_checks.py [-n 1000] [--pysd-runs 10]

The 20 checks below read 13 scenarios of the cluster model (each check its own scenario and
several a second one), with every kind of metric; the draws come from
``scenarios/uncertain/plausible.toml`` when it exists, else ``baseline_uncertain.toml``.
The checks are there to be timed: whether each holds does not matter here.

Prints the time to validate the files, to run the ensemble (through
:func:`lifecycle.checks.run_checks`, sampling and evaluation included: the scenarios that
share run settings in one batch, and again with one batch a scenario) and the time per
simulated run, against a loop over PySD runs of the baseline in the same process, with the
ratio. Goal on this 2-core machine: the 20 checks over 1,000 draws in under 10 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import warnings
from pathlib import Path

from lifecycle.checks import load_checks, run_checks
from lifecycle.model import load_model
from lifecycle.uncertain import load_uncertain

ROOT = Path(__file__).resolve().parents[1]
S = ROOT / "scenarios"

CHECKS = [
    ("baseline takes off", "baseline", "peak(Firms) > 10 * initial(Firms)"),
    ("baseline peaks mid-run", "baseline", "20 < time_of_peak(Employment) < 70"),
    ("baseline declines", "baseline", "final(Employment) < peak(Employment)"),
    ("members never exceed firms", "baseline", "max(Member Share) <= 1"),
    ("membership S-curve", "baseline", "Member Share@60 > Member Share@10"),
    (
        "forum lifts members",
        "networking_initiative",
        "Member Share@20 > at(Member Share, 20, scenario='{S}/baseline.toml')",
    ),
    (
        "forum raises trust",
        "networking_initiative",
        "max(Trust, 10, 30) > max(Trust, 10, 30, scenario='{S}/baseline.toml')",
    ),
    ("shock costs jobs", "disruptive_shock", "min(Employment, 45, 80) < 0.8 * Employment@45"),
    ("shock is not a slide to zero", "disruptive_shock", "final(Employment) > 0"),
    (
        "renewal recovers",
        "shock_with_renewal",
        "final(Employment) > final(Employment, scenario='{S}/disruptive_shock.toml')",
    ),
    (
        "large firm exit costs jobs",
        "large_firm_exit",
        "Employment@40 < at(Employment, 40, scenario='{S}/baseline.toml')",
    ),
    ("anchor arrival", "large_firm_arrival", "peak(Firms) > 0"),
    (
        "public VC helps",
        "public_venture_capital",
        "mean(Firms, 10, 40) >= mean(Firms, 10, 40, scenario='{S}/baseline.toml')",
    ),
    (
        "skills programme",
        "skilled_labour_programme",
        "peak(Employment) > peak(Employment, scenario='{S}/baseline.toml')",
    ),
    ("spin-off support", "university_spinoffs", "peak(Firms) > 0"),
    (
        "training raises survival",
        "university_spinoffs_with_training",
        "Firms@30 >= at(Firms, 30, scenario='{S}/university_spinoffs.toml') * 0.9",
    ),
    ("science-driven gains", "science_driven", "peak(Employment) > 0"),
    ("engineering-based gains", "engineering_based", "peak(Employment) > 0"),
    (
        "high wage costs",
        "high_relative_wage",
        "final(Employment) <= final(Employment, scenario='{S}/baseline.toml') * 1.05",
    ),
    (
        "technology gap widens",
        "baseline",
        "final(Relative Technology) < max(Relative Technology) and not final(Firms) < 0",
    ),
]


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the batch engine's workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def check_file(folder: Path) -> Path:
    lines = ['description = "bench_checks: 20 checks for timing"', ""]
    for name, scenario, condition in CHECKS:
        lines += [
            "[[check]]",
            f'name = "{name}"',
            f'scenario = "{S / (scenario + ".toml")}"',
            f'condition = "{condition.format(S=S)}"',
            "",
        ]
    path = folder / "bench.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="draws of the ensemble")
    ap.add_argument("--pysd-runs", type=int, default=10, help="runs of the PySD loop")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    model = load_model()
    uncertain = S / "uncertain" / "plausible.toml"
    if not uncertain.is_file():
        uncertain = S / "uncertain" / "baseline_uncertain.toml"
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cs = load_checks([check_file(Path(tmp))])
        spec = load_uncertain(uncertain, model)
        t_load = time.perf_counter() - t0
        # warm-up: the batch engine compiles the model once per process (cached on disk)
        run_checks(cs, spec=spec, n=2, seed=args.seed)
        t0, c0 = time.perf_counter(), cpu_seconds()
        report = run_checks(cs, spec=spec, n=args.n, seed=args.seed)
        t_run, c_run = time.perf_counter() - t0, cpu_seconds() - c0
        t0 = time.perf_counter()
        run_checks(cs, spec=spec, n=args.n, seed=args.seed, group=False)
        t_single = time.perf_counter() - t0
    runs = args.n * len(cs.runs())
    base = {n: c.default for n, c in model.parameters.items() if n in spec.names}
    model.run(base)  # warm-up
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(args.pysd_runs):
            model.run(base)
    t_pysd = (time.perf_counter() - t0) / args.pysd_runs

    print(
        f"checks: {len(cs.checks)}, scenarios run: {len(cs.runs())}, draws: {args.n} "
        f"({uncertain.name}, {len(spec)} uncertain constants), engine: {report.engine}"
    )
    print(f"validate files:             {t_load:8.3f} s")
    print(f"run + evaluate (all):       {t_run:8.3f} s   (goal < 10 s)")
    print(f"  CPU time (all processes):     {c_run:8.3f} s")
    print(f"  load average (1 min) now:     {os.getloadavg()[0]:8.2f}  on {os.cpu_count()} cores")
    print(f"  the same, one batch a scenario: {t_single:8.3f} s")
    for k, v in report.seconds.items():
        print(f"  {k:<24} {v:8.3f} s")
    per_run = t_run / runs
    print(f"per simulated run (checks): {1e3 * per_run:8.3f} ms  ({runs} runs)")
    print(f"per run, PySD loop:         {1e3 * t_pysd:8.3f} ms  ({args.pysd_runs} runs)")
    print(f"ratio PySD / checks:        {t_pysd / per_run:8.1f} x")
    print(f"20 checks x {args.n} draws through a PySD loop would take about {t_pysd * runs:.0f} s")
    held = [f"{o.share:.2f}" for o in report.outcomes]
    print("shares:", " ".join(held))


if __name__ == "__main__":
    main()
