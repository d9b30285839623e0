"""Time a baseline run on each engine, and ``lifecycle run scenarios/*.toml``, in one process.

Prints medians of several repetitions and the ratios against PySD's run measured in this
same process, so that the ratios stay meaningful on a shared, noisy machine:

- PySD's translation (cold cache) and the load of a cached translation;
- one baseline run (every variable) through ``lifecycle.run`` with ``engine="pysd"``, the
  reference, and with ``engine="auto"`` (the batch engine), plus the batch engine's
  one-off compilation;
- every scenario of ``scenarios/`` run (no output written) on each engine;
- the whole command ``lifecycle run scenarios/*.toml -o DIR`` in this process, warm (the
  engine compiled, the modules imported), and split into its running and writing parts;
- the batch engine's node graph read back from the disk cache instead of parsed, and the
  whole command as a process of its own with the disk cache warm (imports included), the
  figure a user waits for at the prompt.

    python benchmarks/bench_run.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "cluster_lifecycle.mdl"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def line(label: str, times: list[float], unit: float = 1e3, name: str = "ms") -> float:
    med = statistics.median(times)
    print(f"{label:<52} {med * unit:9.2f} {name}  (min {min(times) * unit:.2f})")
    return med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        os.environ["LIFECYCLE_CACHE"] = cache
        from click.testing import CliRunner

        from lifecycle import engines, load_scenario, load_scenarios, run, run_scenarios
        from lifecycle.cli import cli
        from lifecycle.model import Model, translate

        t0 = time.perf_counter()
        translate(MODEL)
        translation = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = Model(MODEL)  # cached translation: load only
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        engines.engine("batch", model).run({}, 1, model.variables, _settings(model))
        compile_s = time.perf_counter() - t0

        from lifecycle.engines import compile as compile_module

        parse = line("batch engine: parse the model (PySD's parser)",
                     timed(lambda: compile_module.Compiler(MODEL), 3))  # fmt: skip
        cached = line("batch engine: the parsed model from the disk cache",
                      timed(lambda: compile_module.compiled(MODEL), args.repeat))  # fmt: skip
        print(f"ratio parse / disk cache:                            {parse / cached:9.1f}")

        base = load_scenario(ROOT / "scenarios" / "baseline.toml", model)
        run(model, base, engine="pysd")  # warm-up
        steps = round(model.control["final_time"] / model.control["time_step"])
        print(f"model: {MODEL.name}, {steps} Euler steps of {model.control['time_step']} year")
        print(f"translation (PySD read_vensim, cold cache):          {translation * 1e3:9.1f} ms")
        print(f"load from cached translation:                        {load * 1e3:9.1f} ms")
        print(f"batch engine: compile the model, first run:          {compile_s * 1e3:9.1f} ms")
        pysd = line(
            "baseline run, every variable, engine=pysd",
            timed(lambda: run(model, base, engine="pysd"), args.repeat),
        )
        batch = line(
            "baseline run, every variable, engine=auto (batch)",
            timed(lambda: run(model, base, engine="auto"), args.repeat),
        )
        print(f"ratio pysd / batch (baseline run):                   {pysd / batch:9.1f}")

        scens = load_scenarios(SCENARIOS, model)
        reps = max(3, args.repeat // 5)
        all_pysd = line(
            f"{len(scens)} scenarios run, engine=pysd",
            timed(lambda: run_scenarios(model, scens, engine="pysd"), reps),
        )
        all_batch = line(
            f"{len(scens)} scenarios run, engine=auto (batch)",
            timed(lambda: run_scenarios(model, scens, engine="auto"), reps),
        )
        print(f"ratio pysd / batch ({len(scens)} scenarios):                 "
              f"{all_pysd / all_batch:9.1f}")  # fmt: skip

        with tempfile.TemporaryDirectory() as out:
            argv = ["run", *map(str, SCENARIOS), "-o", str(Path(out) / "run")]

            def command(engine: str) -> None:
                res = CliRunner().invoke(cli, [*argv, "--engine", engine])
                assert res.exit_code == 0, res.output

            command("auto")  # warm-up: imports, figure fonts
            label = "lifecycle run scenarios/*.toml, --engine"
            cmd_pysd = line(f"{label} pysd", timed(lambda: command("pysd"), reps))
            cmd_batch = line(f"{label} auto", timed(lambda: command("auto"), reps))
            print(f"  of which writing the outputs (command - runs):     "
                  f"{(cmd_batch - all_batch) * 1e3:9.1f} ms")  # fmt: skip
            ratio = cmd_pysd / cmd_batch
            print(f"ratio pysd / auto (whole command):                   {ratio:9.2f}")
            process = [sys.executable, "-m", "lifecycle", *argv]
            own = line(
                "the same command as its own process, cache warm",
                timed(lambda: subprocess.run(process, check=True, capture_output=True), reps),
            )
            print(f"ratio own process / in this process (auto):          {own / cmd_batch:9.2f}")


def _settings(model):
    from lifecycle.engines import RunSettings

    return RunSettings.resolve(model.control)


if __name__ == "__main__":
    main()
