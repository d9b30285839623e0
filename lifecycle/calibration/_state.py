"""Starting a fit from a named scenario's state: ``start=(scenario, time)``.

The scenario runs, with its own constants, from ``INITIAL TIME`` to ``time``; every fitted
run then starts from that run's state (every stock and the internal state of every
SMOOTH and DELAY, :class:`lifecycle.engines.State`) at ``time``, which is the first data
year. The fitted constants act from there on only; the scenario's other constants hold
throughout. A constant that only sets an initial value has no effect from a state, so
fitting one is refused.
"""

from __future__ import annotations

from .. import engines
from ..engines import RunSettings
from ..errors import CalibrationError, UnsupportedFunctionError
from ..model import Model


def start_state(model: Model, constants: dict, at: float, time_step: float):
    """The state at model time ``at`` of the run with ``constants`` at ``time_step``."""
    initial = model.control["initial_time"]
    if not at > initial:
        raise CalibrationError(
            f"start=(scenario, {at:g}): the time must be after INITIAL TIME ({initial:g}) "
            "(fix: a later time, or spin_up=)"
        )
    steps = (at - initial) / time_step
    if abs(steps - round(steps)) > 1e-9:
        raise CalibrationError(
            f"start=(scenario, {at:g}): the time must be a whole number of time steps "
            f"({time_step:g}) after INITIAL TIME"
        )
    settings = RunSettings(initial, at, time_step, time_step)
    return engines.engine("auto", model).state_at(constants, 1, settings)


def initial_only(model: Model) -> set[str]:
    """Constants that reach the run only through initial values (``initial young firms``):
    the ones a run from a state ignores. Empty when the batch compiler cannot read the
    model (then nothing is refused)."""
    try:
        from ..engines.batch import BatchModel

        comp = BatchModel(model.path).comp
    except (ImportError, UnsupportedFunctionError):
        return set()
    nodes = comp.nodes
    live: set = set()
    # the model's own variables (a hidden argument node is reached through its function)
    stack = [k for k, n in nodes.items() if k.startswith("v") and n.kind not in ("const", "lookup")]
    while stack:
        k = stack.pop()
        if k in live:
            continue
        live.add(k)
        n = nodes[k]
        if n.kind == "initial":
            continue
        stack.extend(d for r, d in n.args.items() if r != "init")
        stack.extend(n.refs)
    return {n.name for k, n in nodes.items() if n.kind == "const" and k not in live}


def refuse_initial_values(model: Model, members, where: str) -> None:
    """Refuse a fitted parameter whose constants all only set initial values."""
    idle = initial_only(model)
    for name, group in members.items():
        consts = [c for c, _ in group]
        if consts and all(c in idle for c in consts):
            raise CalibrationError.with_fix(
                f"'{name}' only sets an initial value, which the state of {where} replaces: "
                "fitting it would change nothing",
                "fit it from a spin-up (spin_up= or the parameter 'spin up') instead of start=",
                "fit it with --spin-up instead of --start",
            )
