"""The vectorised batch engine: many parameter sets of one model in one pass.

:class:`BatchModel` compiles a Vensim file (through PySD's own parser, see
:mod:`lifecycle.engines.compile`) into NumPy code in which each constant is either one number
or an array with one value per run, and integrates all runs together exactly as PySD
integrates one. Large batches are cut into chunks that fit the processor's caches; with more
than one core,
a forked child process integrates half of the chunks and writes its results straight into
shared memory (threads do not help: at these array sizes the interpreter, not NumPy's loops,
takes most of the time, and it holds the GIL).

Examples
--------
>>> from lifecycle.model import DEFAULT_MODEL
>>> bm = BatchModel(DEFAULT_MODEL)
>>> rates = np.linspace(0.08, 0.16, 1000)
>>> res = bm.run({"startup rate": rates}, n=1000, variables=["Firms"])
>>> res.values["Firms"].shape == (1000, len(res.time))
True
"""

from __future__ import annotations

import functools
import hashlib
import mmap
import multiprocessing
import os
import threading
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._names import canonical
from ..errors import ArgumentError, ModelFileError, SimulationError, UnknownParameterError
from ._base import EngineResult, RunSettings, State, check_state
from .codegen import Program, state_keys
from .compile import CONTROL_KEYS, Compiler, compiled

RPREC = 1e-5  # PySD's relative precision for final and saving times (Time.rprec)
# Runs per chunk. Each array operation costs a fixed ~1 us plus a per-run part; measured on
# the cluster model, throughput still grows up to a few thousand runs and is flat beyond.
CHUNK = 5000
FORK_WORK = 250_000  # runs x time steps below which a second process does not pay

_LOCK = threading.Lock()
_COMPILED: dict[str, Compiler] = {}
_PROGRAMS: dict[tuple, Program] = {}


@dataclass
class BatchResult:
    """Outputs of a batch: ``values[name]`` has shape ``(n, len(time))``."""

    time: np.ndarray
    values: dict[str, np.ndarray]
    state: State | None = None  # the state after the last time (``keep_state=True``)


@functools.lru_cache(maxsize=64)
def time_grid(initial: float, final: float, dt: float, saveper: float):
    """The times PySD visits and which of them it saves (``Time.in_bounds``/``in_return``).

    Cached (a Python loop over every step, as long as a single run's integration); the
    saved times are returned read-only."""
    prec = dt * RPREC
    t, times = initial, [initial]
    while t + prec < final:
        t = t + dt
        times.append(t)
    save = []
    for t in times:
        delay = t - initial
        save.append(bool(delay % saveper < prec or -delay % saveper < prec))
    decimals = -int(np.log10(prec))
    saved = np.round(np.array([t for t, s in zip(times, save, strict=True) if s]), decimals)
    saved.flags.writeable = False
    return tuple(times), tuple(save), saved


def _default_workers() -> int:
    try:
        return max(1, min(2, len(os.sched_getaffinity(0))))
    except AttributeError:  # not on Linux
        return max(1, min(2, os.cpu_count() or 1))


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _split(n: int, workers: int, chunk: int) -> list[tuple[int, int, int]]:
    """Equal contiguous shares of ``n`` runs, one per worker, cut into equal chunks."""
    out = []
    for w in range(workers):
        lo, hi = n * w // workers, n * (w + 1) // workers
        k = max(1, -(-(hi - lo) // chunk))
        out += [(lo + (hi - lo) * i // k, lo + (hi - lo) * (i + 1) // k, w) for i in range(k)]
    return [b for b in out if b[1] > b[0]]


def _slice(value, lo, hi):
    if isinstance(value, list):
        return [_slice(v, lo, hi) for v in value]
    return value[lo:hi] if np.ndim(value) else value


def _run_chunk(prog, P, sampled, times, save, out, lo, hi, Z=None) -> dict:
    """Integrate runs ``lo:hi``; return their final state (node key -> value or list)."""
    Pc = {k: (v[lo:hi] if k in sampled else v) for k, v in P.items()}
    Zc = None if Z is None else {k: _slice(v, lo, hi) for k, v in Z.items()}
    with np.errstate(all="ignore"):
        try:
            return prog.simulate(Pc, times, save, out[:, :, lo:hi], Zc)
        except (ZeroDivisionError, OverflowError) as exc:
            # a quantity that is the same in every run is a Python float, which raises
            # where an array would hold inf; PySD's own run fails the same way
            raise SimulationError(f"{prog.comp.path.name}: the run failed: {exc}") from exc


def _run_forked(prog, P, sampled, times, save, shape, bounds, workers, Z=None):
    """Integrate the chunks in ``workers`` processes writing into one shared buffer."""
    nbytes = max(8, int(np.prod(shape)) * 8)
    buf = mmap.mmap(-1, nbytes)  # anonymous and MAP_SHARED: children write into it
    out = np.frombuffer(buf, dtype=float, count=int(np.prod(shape))).reshape(shape)
    shares = [[b for b in bounds if b[2] == w] for w in range(workers)]
    ctx = multiprocessing.get_context("fork")
    children = []
    for share in shares[1:]:
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_child, args=(prog, P, sampled, times, save, out, share, send, Z), daemon=True
        )
        proc.start()
        send.close()
        children.append((proc, recv))
    finals = [(lo, hi, _run_chunk(prog, P, sampled, times, save, out, lo, hi, Z))
              for lo, hi, _ in shares[0]]  # fmt: skip
    errors = []
    for proc, recv in children:
        message = recv.recv() if recv.poll(None) else "no result"
        proc.join()
        if not isinstance(message, list) or proc.exitcode != 0:
            errors.append(str(message))
        else:
            finals += message
    if errors:
        raise SimulationError("a batch worker process failed: " + errors[0])
    result = np.array(out)  # copy out of the shared buffer
    del out
    buf.close()
    return result, finals


def _child(prog, P, sampled, times, save, out, share, send, Z=None) -> None:
    try:
        finals = []
        for lo, hi, _ in share:
            final = _run_chunk(prog, P, sampled, times, save, out, lo, hi, Z)
            finals.append((lo, hi, final if prog.keep_state else {}))
        send.send(finals)
    except BaseException:  # report any failure to the parent, which raises it
        send.send(traceback.format_exc(limit=3))
    finally:
        send.close()


def _integrate(prog, P, sampled, times, save, shape, rows, workers, chunk, Z):
    """``(out, finals)``: every run's outputs and the chunks' final states. With ``rows``
    1 every run is the same: one is computed and copied."""
    n = shape[2]
    if rows == 1:
        out = np.empty(shape)
        finals = []
        if n:
            finals = [(0, 1, _run_chunk(prog, P, sampled, times, save, out, 0, 1, Z))]
            out[:, :, 1:] = out[:, :, :1]
        return out, finals
    if workers is None:  # a fork costs tens of milliseconds: only for big batches
        workers = _default_workers() if n * len(times) >= FORK_WORK else 1
    bounds = _split(n, workers, chunk)
    if workers > 1 and len({b[2] for b in bounds}) > 1 and _can_fork():
        return _run_forked(prog, P, sampled, times, save, shape, bounds, workers, Z)
    out = np.empty(shape)
    finals = [(lo, hi, _run_chunk(prog, P, sampled, times, save, out, lo, hi, Z))
              for lo, hi, _ in bounds]  # fmt: skip
    return out, finals


class BatchModel:
    """A Vensim model compiled for vectorised runs.

    Parameters
    ----------
    path : path of the ``.mdl`` file.
    """

    def __init__(self, path: str | os.PathLike, *, sha256: str | None = None):
        self.path = Path(path)
        data = None
        if sha256 is None:  # a Model gives the hash of the bytes it loaded
            data = self.path.read_bytes()
            sha256 = hashlib.sha256(data).hexdigest()
        with _LOCK:
            if sha256 not in _COMPILED:
                data = self.path.read_bytes() if data is None else data
                if hashlib.sha256(data).hexdigest() != sha256:
                    raise ModelFileError(
                        f"{self.path}: the file changed since the model was loaded "
                        "(fix: load it again, lifecycle.load_model)"
                    )
                _COMPILED[sha256] = compiled(self.path, data)
        self.hash = sha256
        self.comp = _COMPILED[sha256]

    def key(self, name: str) -> str:
        """The node key of the variable ``name`` (any Vensim spelling)."""
        k = self.comp.by_name.get(canonical(name))
        if k is None or k not in self.comp.nodes:
            raise UnknownParameterError(name, self.path.name)
        return k

    def program(self, sampled: set, capture: list, states=frozenset(), full=False) -> Program:
        key = (self.hash, frozenset(sampled), tuple(capture), frozenset(states), full)
        with _LOCK:
            if key not in _PROGRAMS:
                _PROGRAMS[key] = Program(self.comp, set(sampled), list(capture), states, full)
            return _PROGRAMS[key]

    def _params(self, params, n: int) -> tuple[dict, set]:
        """Constants by node key (arrays of shape ``(n,)`` for the sampled ones)."""
        P: dict = {}
        sampled = set()
        for name, value in (params or {}).items():
            k = self.key(name)
            if k in CONTROL_KEYS.values():
                continue
            if np.ndim(value):
                arr = np.ascontiguousarray(value, dtype=float)
                if arr.shape != (n,):
                    raise ArgumentError(f"'{name}' has shape {arr.shape}, expected ({n},)")
                P[k] = arr
                sampled.add(k)
            else:
                P[k] = float(value)
        return P, sampled

    @functools.cached_property
    def state_names(self) -> dict[str, str]:
        """Node key -> its name in a :class:`~lifecycle.engines.State`."""
        return state_keys(self.comp)

    def _state_in(self, state: State, n: int) -> tuple[dict, set]:
        """``(Z, varying)``: the generated code's starting state (node key -> a number or
        an array of runs, a list of them for a function's stages) and the nodes whose
        state differs between runs."""
        if state.runs not in (1, n):
            raise ArgumentError(f"the state holds {state.runs} runs, expected 1 or {n}")
        Z, varying = {}, set()
        for key, name in self.state_names.items():
            arr = state.values.get(name)
            if arr is None:
                continue
            node = key[1:] if key.startswith("T_") else key
            same = arr.shape[0] == 1 or bool(np.all(arr == arr[:1]))
            cols = [arr[0, j] if same else np.ascontiguousarray(arr[:, j]) for j in
                    range(arr.shape[1])]  # fmt: skip
            kind = self.comp.nodes[node].kind
            Z[key] = cols if kind not in ("integ", "initial") else cols[0]
            if kind in ("integ", "initial") and arr.shape[1] != 1:
                raise ArgumentError(f"the state of '{name}' must hold one value per run")
            if not same:
                varying.add(node)
        return Z, varying

    def _state_out(self, finals, prog: Program, n: int, time: float) -> State:
        """The final states of the chunks as one :class:`State`."""
        values: dict[str, np.ndarray] = {}
        for lo, hi, final in finals:
            for key, value in final.items():
                cols = value if isinstance(value, list) else [value]
                block = values.setdefault(self.state_names[key], np.empty((n, len(cols))))
                for j, col in enumerate(cols):
                    block[lo:hi, j] = col
        return State(time, values)

    def run(
        self,
        params: Mapping[str, float | np.ndarray] | None,
        n: int,
        variables: list[str],
        *,
        final_time: float | None = None,
        time_step: float | None = None,
        saveper: float | None = None,
        workers: int | None = None,
        chunk: int = CHUNK,
        state: State | None = None,
        keep_state: bool = False,
    ) -> BatchResult:
        """Run ``n`` runs; array-valued ``params`` (shape ``(n,)``) differ between runs.

        Control variables follow :meth:`lifecycle.model.Model.run`: ``saveper`` defaults to
        the model's SAVEPER and is never below the time step. ``state`` starts every run
        from it (at its time) instead of the model's initial values; ``keep_state`` returns
        the state after the last time in ``BatchResult.state``.
        """
        P, sampled = self._params(params, n)
        capture = [self.key(v) for v in variables]
        for k in capture:
            if self.comp.nodes[k].kind == "lookup":
                name = self.comp.nodes[k].name
                raise ArgumentError(f"'{name}' is a lookup table, not a variable")
        Z, varying = (None, set()) if state is None else self._state_in(state, n)
        if keep_state:
            self.state_names  # noqa: B018 - refuses a model whose states cannot be named
        prog = self.program(sampled, capture, frozenset(varying), keep_state)
        if Z is not None:
            names = self.state_names
            needed = [names[k] for k in names if k.removeprefix("T") in prog.live]
            check_state(state, needed, self.path.name)
        ctrl = prog.controls({k: v for k, v in P.items() if k not in sampled})
        ctrl = {k: float(v) for k, v in ctrl.items()}
        if final_time is not None:
            ctrl["final_time"] = float(final_time)
        if time_step is not None:
            ctrl["time_step"] = float(time_step)
        if saveper is not None:
            ctrl["saveper"] = float(saveper)
        ctrl["saveper"] = max(ctrl["saveper"], ctrl["time_step"])
        P.update(ctrl)
        # from a state the run starts at its time; INITIAL TIME in equations keeps its value
        begin = ctrl["initial_time"] if state is None else state.time
        times, save, saved = time_grid(
            begin, ctrl["final_time"], ctrl["time_step"], ctrl["saveper"]
        )
        shape = (len(capture), len(saved), n)
        rows = n if sampled or varying else 1
        out, finals = _integrate(prog, P, sampled, times, save, shape, rows, workers, chunk, Z)
        names = [self.comp.nodes[k].name for k in capture]
        values = {name: out[i].T for i, name in enumerate(names)}
        final = self._state_out(finals, prog, rows, times[-1]) if keep_state else None
        return BatchResult(time=saved.copy(), values=values, state=final)


class BatchEngine:
    """The :class:`~lifecycle.engines.Engine` of the batch compiler: ``n`` runs in one pass.

    Raises :class:`~lifecycle.errors.UnsupportedFunctionError` when built for a model that
    uses a construct the compiler lacks.
    """

    name = "batch"

    def __init__(self, model):
        self.model = model
        self.batch = BatchModel(model.path, sha256=model.hash)

    def run(
        self, params: Mapping[str, Any], n: int, variables: Sequence[str], settings: RunSettings
    ) -> EngineResult:
        """``n`` runs; array-valued ``params`` differ between runs (see :class:`Engine`)."""
        names = list(variables)
        res = self.batch.run(params, n, names, state=settings.state, **settings.as_kwargs())
        values = {}
        for name in names:
            node = self.batch.comp.nodes[self.batch.key(name)].name
            values[name] = np.asarray(res.values[node], dtype=float)
        return EngineResult(time=np.asarray(res.time, dtype=float), values=values, engine=self.name)

    def state_at(self, params: Mapping[str, Any], n: int, settings: RunSettings) -> State:
        """The state of every stateful element at ``settings.final_time``."""
        res = self.batch.run(
            params, n, [], state=settings.state, keep_state=True, **settings.as_kwargs()
        )
        return res.state
