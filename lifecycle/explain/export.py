"""``lifecycle export --xmile``: the model as XMILE, for Stella and other XMILE tools.

pysimlin reads the ``.mdl``, lays out a stock-and-flow diagram (the ``.mdl`` of this project
has none) and writes XMILE 1.0. The round trip is tested: the exported file loads in
pysimlin and its run equals the ``.mdl``'s.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import SimulationError
from ..limits import check_suffix

FORMATS = (".xmile", ".stmx", ".xml")


def check_output(output: str | os.PathLike) -> Path:
    """``output`` if it names an XMILE file; an ArgumentError otherwise."""
    return check_suffix(output, FORMATS, "an XMILE file ends in .xmile, .stmx or .xml")


def export_xmile(
    model_path: str | os.PathLike, output: str | os.PathLike, *, layout: bool = True
) -> Path:
    """Write the model at ``model_path`` as XMILE to ``output`` (.xmile, .stmx or .xml),
    with an automatically laid-out diagram unless ``layout`` is false (the layout of a
    large model takes seconds)."""
    from ..engines.simlin import _load, _simlin

    output = check_output(output)
    simlin = _simlin()
    model = _load(simlin, Path(model_path))
    try:
        if layout:
            model.project.auto_layout()
        data = model.project.to_xmile()
    except simlin.SimlinError as exc:  # pragma: no cover - depends on the engine
        where = Path(model_path).name
        raise SimulationError(f"{where}: pysimlin cannot export it: {exc}") from exc
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return output
