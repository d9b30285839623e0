"""Which model a command's scenarios run on: one rule for every command.

``run``, ``compare``, ``stages``, ``validate``, ``loops``, ``montecarlo``, ``sensitivity``,
``calibrate`` and ``check`` each had their own version of it (review 8.5); they now call
:func:`resolve_inputs`:

1. ``--model`` given: that model. A scenario naming another model is a problem (its file
   and line, and the fix).
2. else the model the scenarios name (their ``model`` key, inherited through ``extends``);
   a scenario without one is for the main model. Scenarios for different models are one
   problem naming each file and its model, with the fix (``--model`` runs them all on
   one model, if their constants are in it).

Every scenario is then validated against that one model, so a scenario is never checked
against one model and run on another.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from ._readers import read_toml, resolve
from .errors import ArgumentError, LifecycleError, Problem, ScenarioError
from .model import DEFAULT_MODEL, Model, load_model

__all__ = ["as_scenario", "named_model", "resolve_inputs", "resolve_model"]


def named_model(path: str | Path, _depth: int = 0) -> Path | None:
    """The model file a scenario file names (its own ``model`` key or its parents'), or
    None. Unreadable files and broken chains give None: loading them reports why."""
    path = Path(path)
    if path.suffix.lower() == ".cin" or _depth > 64:
        return None
    data, _ = read_toml(path, [])
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("model"), str):
        return resolve(path.parent / data["model"])
    if isinstance(data.get("extends"), str):
        return named_model(resolve(path.parent / data["extends"]), _depth + 1)
    return None


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def resolve_model(
    paths: Iterable[str | Path], model_path: str | Path | None = None, what: str = "scenarios"
) -> tuple[Model | None, list[Problem]]:
    """The model the files ``paths`` run on (the rule of this module), and the problems of
    that choice. The model is None when the files name a model that cannot be loaded: then
    loading the files reports it with the file and line."""
    if model_path is not None:
        return load_model(model_path), []
    paths = [Path(p) for p in paths]
    # a model key naming no file counts as none here: loading the file reports it
    named = {
        p: m if m is not None and m.is_file() else None for p in paths for m in [named_model(p)]
    }
    models = {m or DEFAULT_MODEL.resolve() for m in named.values()}
    if len(models) > 1:
        which = ", ".join(
            f"{p} names {_display(m)}"
            if m
            else f"{p} names none (the main model, {DEFAULT_MODEL.name})"
            for p, m in named.items()
        )
        return load_model(None), [
            Problem(
                str(paths[0]) if len(paths) == 1 else "the command line",
                f"the {what} are for different models: {which}",
                None,
                f"run the {what} of each model separately, or give --model to run them all on one",
            )
        ]
    try:
        return load_model(models.pop() if models else None), []
    except LifecycleError:
        return None, []  # the file's model key is reported with its line when loading


def resolve_inputs(paths: Iterable[str | Path], model_path: str | Path | None = None):
    """``(model, scenarios, problems)`` for the scenario files ``paths``: the model by the
    rule of this module, every scenario validated against it. ``problems`` holds every
    problem of every file (empty: all usable); the model is usable for further checks
    (``--set``, ``--vars``) even when there are problems.

    Examples
    --------
    >>> model, scens, problems = resolve_inputs(["scenarios/baseline.toml"])  # doctest: +SKIP
    >>> model.name, [s.name for s in scens], problems                        # doctest: +SKIP
    ('cluster_lifecycle.mdl', ['baseline'], [])
    """
    from .scenarios import load_scenarios

    paths = [Path(p) for p in paths]
    model, problems = resolve_model(paths, model_path)
    if problems:  # and each file's own problems, checked against its own model
        try:
            load_scenarios(paths, None)
        except ScenarioError as exc:
            problems += exc.problems
        return model, [], problems
    try:
        scens = load_scenarios(paths, model)
    except ScenarioError as exc:
        return model or load_model(None), [], list(exc.problems)
    if model is None:  # the named model loaded after all (another process fixed it?)
        model = load_model(scens[0].model_path) if scens else load_model(None)
    return model, scens, []


def load_inputs(paths: Iterable[str | Path], model_path: str | Path | None = None):
    """``(model, scenarios)`` of :func:`resolve_inputs`; raises ScenarioError with every
    problem."""
    model, scens, problems = resolve_inputs(paths, model_path)
    if problems:
        raise ScenarioError(problems)
    return model, scens


def as_scenario(scenario, model: Model):
    """What the ``scenario`` argument of every entry point (``run``, ``ensemble``,
    ``monte_carlo``, ``sobol``, ``morris``, ``calibrate``) may be: None (the model's own
    values), a :class:`~lifecycle.scenarios.Scenario`, the path of a scenario file (loaded
    and checked for ``model``) or a mapping of constants (a scenario named "values" that
    sets them). Anything else is an :class:`ArgumentError`."""
    from .scenarios import Scenario, load_scenario

    if scenario is None or isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(Path(scenario), model)
    if isinstance(scenario, Mapping):
        return Scenario(name="values", params=dict(scenario))
    raise ArgumentError(
        "`scenario` must be a Scenario, the path of a scenario file or a mapping of "
        f"constants, not {type(scenario).__name__} (fix: load_scenario(path))"
    )
