"""Write scenarios/uncertain/plausible.toml: every behavioural constant uniform within +-25 %.

The plausible ensemble of issue 10. Behavioural constants are those whose comment starts with
``Source:``, ``Calibrated:`` or ``Assumption:`` (``lifecycle params``, class column); each
range is the model default times 0.75 and 1.25, clipped to the constant's [min,max] range
and rounded to 6 significant digits. Run it after adding or changing a constant::

    .venv/bin/python docs/make_plausible.py

``tests/test_model_behaviour.py`` fails while the file is stale.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "cluster_lifecycle.mdl"
TARGET = ROOT / "scenarios" / "uncertain" / "plausible.toml"
SPREAD = 0.25

PCT = f"{SPREAD:.0%}".replace("%", " %")
HEADER = f"""\
# The plausible ensemble of issue 10: every behavioural constant of models/cluster_lifecycle.mdl
# (every constant whose comment starts with Source:, Calibrated: or Assumption:, as listed by
# `lifecycle params --format csv`, class column) uniform within +-{PCT} of its value, clipped to
# its [min,max] range in the model. Policy levers, their timing and scenario switches (class
# "lever") stay at their scenario values.
#
#   lifecycle check checks/ --ensemble scenarios/uncertain/plausible.toml -n 1000
#
# Written by docs/make_plausible.py (the model defaults times {1 - SPREAD:g} and {1 + SPREAD:g},
# rounded to 6 significant digits); run it again after adding or changing a constant.

description = "Every behavioural constant within +-{PCT} of its value (the plausible ensemble)"

[uncertain]
"""


def ranges(model=None) -> dict[str, tuple[float, float]]:
    """{constant: (low, high)} of the plausible ensemble, from the model's defaults."""
    from lifecycle.model import load_model
    from lifecycle.params import params_frame

    df = params_frame(model if model is not None else load_model(MODEL))
    out = {}
    for _, r in df[df["class"] != "lever"].sort_values("name").iterrows():
        v = float(r["default"])
        lo, hi = sorted((v * (1 - SPREAD), v * (1 + SPREAD)))
        if r["min"] is not None and r["min"] == r["min"]:
            lo = max(lo, float(r["min"]))
        if r["max"] is not None and r["max"] == r["max"]:
            hi = min(hi, float(r["max"]))
        out[r["name"]] = (float(f"{lo:.6g}"), float(f"{hi:.6g}"))
    return out


def text(model=None) -> str:
    lines = [
        f'"{name}" = {{ dist = "uniform", min = {lo:.6g}, max = {hi:.6g} }}'
        for name, (lo, hi) in ranges(model).items()
    ]
    return HEADER + "\n".join(lines) + "\n"


def main() -> None:
    TARGET.write_text(text(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
