"""Figures comparing scenarios: small multiples, the baseline highlighted, stages shaded.

Conventions, the same in every figure:

* the baseline is always black and thicker (drawn underneath, so it never hides a line);
  the other scenarios take colours from a fixed cycle in the order they were given (after
  nine, line styles change too);
* the time axis is labelled "Year"; the y axis carries the units;
* life-cycle stages of the baseline (from :mod:`lifecycle.stages`) are shaded in light
  colours behind the data, with their own legend right of the panels;
* legends sit outside every axes (scenarios below, stages right), so they never cover data;
* a fixed style (matplotlib defaults plus :data:`STYLE`) is applied while drawing and saving,
  so a user's ``matplotlibrc`` does not change the result.

Functions return a :class:`matplotlib.figure.Figure` built without pyplot (nothing is shown,
no global figure registry, no GUI backend); :func:`save_figure` writes it byte-stably.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ._names import find
from .errors import DataError
from .stages import Stage

#: rcParams applied on top of matplotlib's defaults while drawing and saving.
STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: same glyphs everywhere
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.formatter.useoffset": False,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "svg.hashsalt": "lifecycle",  # fixed ids in SVG output
    "svg.fonttype": "path",
    "path.simplify": True,
}

#: The baseline's line: black and thicker, drawn under the others so that a scenario equal
#: to the baseline shows as a coloured line on a black one (neither hides the other).
BASELINE_STYLE = {"color": "black", "linewidth": 2.6, "linestyle": "-", "zorder": 2}
#: Colours of the other scenarios, in order (matplotlib's tab10 without its grey and black).
SCENARIO_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
)
_LINESTYLES = ("-", "--", "-.", ":")
#: Light fills for the life-cycle stages.
STAGE_COLORS = {
    "embryonic": "#e3eef9",
    "growth": "#e2f2df",
    "maturity": "#f3f0e1",
    "decline": "#f9e0df",
    "rejuvenation": "#ece3f6",
}
_SAVE_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


@contextlib.contextmanager
def plot_style() -> Iterator[None]:
    """Context in which rcParams are matplotlib's defaults plus :data:`STYLE`."""
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams.update(STYLE)
        yield


def scenario_styles(names: Sequence[str], baseline: str | None = "baseline") -> dict[str, dict]:
    """Line style of each scenario: the baseline black and thick, the others by position.

    Parameters
    ----------
    names : sequence of str
        Scenario names in the order they were given.
    baseline : str, optional
        Name of the baseline scenario (if among ``names``).

    Returns
    -------
    dict
        ``name -> {"color", "linewidth", "linestyle", "zorder"}`` keyword arguments for
        :meth:`matplotlib.axes.Axes.plot`.
    """
    styles: dict[str, dict] = {}
    k = 0
    for name in names:
        if name == baseline:
            styles[name] = dict(BASELINE_STYLE)
            continue
        n = len(SCENARIO_COLORS)
        styles[name] = {
            "color": SCENARIO_COLORS[k % n],
            "linewidth": 1.5,
            "linestyle": _LINESTYLES[(k // n) % len(_LINESTYLES)],
            "zorder": 3,
        }
        k += 1
    return styles


def _find(names: Sequence[str], wanted: str) -> str | None:
    return wanted if wanted in names else find(wanted, names)


def _series(df: pd.DataFrame, variable: str, scenario: str) -> pd.Series:
    column = _find([str(c) for c in df.columns], variable)
    if column is None:
        raise DataError(
            f"scenario '{scenario}' has no variable '{variable}'; it has: "
            + ", ".join(map(str, df.columns))
        )
    series = df[column]
    try:
        return pd.Series(
            series.to_numpy(dtype=float), index=df.index.to_numpy(dtype=float), name=variable
        )
    except (TypeError, ValueError):
        raise DataError(
            f"scenario '{scenario}': '{variable}' and the time index must be numeric"
        ) from None


def _difference(s: pd.Series, b: pd.Series, relative: bool) -> pd.Series:
    """``s - b`` on common times; relative: ``100 (s - b) / |b|``, NaN where ``b == 0``."""
    s, b = s.align(b, join="inner")
    d = s - b
    if relative:
        scale = b.abs().to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            d = pd.Series(
                np.where(scale > 0, 100 * d.to_numpy() / np.where(scale > 0, scale, 1), np.nan),
                index=d.index,
            )
    return d


def _tick(value: float, _pos: object = None) -> str:
    """Tick label with thousands separators and a true minus sign."""
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    return text.replace("-", "\N{MINUS SIGN}")


def _ylabel(units: str | None, diff: bool, relative: bool, baseline: str) -> str:
    if diff and relative:
        return f"% difference from {baseline}"
    unit = f" ({units})" if units else ""
    return f"difference from {baseline}{unit}" if diff else (units or "")


def _unit_of(units: str | Mapping[str, str] | None, var: str) -> str | None:
    """The y-axis unit of ``var``: one string for all panels, or looked up by name."""
    if not isinstance(units, Mapping):
        return units
    key = _find([str(u) for u in units], var)
    return units[key] if key is not None else None


def _shade(ax, stages: Sequence[Stage] | None) -> None:
    """Life-cycle stages as coloured bands behind the data."""
    for stage in stages or ():
        color = STAGE_COLORS.get(stage.name, "#eeeeee")
        ax.axvspan(stage.start, stage.end, color=color, linewidth=0, zorder=0)


def plot_scenarios(
    results: Mapping[str, pd.DataFrame],
    variables: str | Sequence[str],
    *,
    baseline: str = "baseline",
    units: str | Mapping[str, str] | None = None,
    stages: Sequence[Stage] | None = None,
    diff: bool = False,
    relative: bool = False,
    title: str | None = None,
) -> Figure:
    """Small multiples: one panel per variable, every scenario overlaid.

    Parameters
    ----------
    results : mapping of str to pandas.DataFrame
        Scenario name -> run result indexed by time (years), one column per variable.
        Scenarios are drawn, coloured and listed in this order, the baseline first.
    variables : str or sequence of str
        Variables to plot, one panel each (names matched exactly, then ignoring case,
        spaces and underscores).
    baseline : str, default "baseline"
        The scenario drawn black and thick; required when ``diff`` is true.
    units : str or mapping, optional
        Units for the y axes: one string for all panels, or ``variable -> units``.
    stages : sequence of Stage, optional
        Life-cycle stages of the baseline, shaded behind the data.
    diff : bool, default False
        Plot each scenario minus the baseline (the baseline becomes the zero line).
    relative : bool, default False
        With ``diff``, plot ``100 (scenario - baseline) / |baseline|`` in %; times where
        the baseline is zero are left as gaps.
    title : str, optional
        Figure title; a default names the comparison.

    Returns
    -------
    matplotlib.figure.Figure
        Not shown and not saved: pass it to :func:`save_figure`.

    Raises
    ------
    DataError
        No scenarios or variables, a variable missing from a scenario, non-numeric data,
        or ``diff`` without the baseline among the results.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.Index([0.0, 1.0, 2.0], name="time")
    >>> runs = {"baseline": pd.DataFrame({"Firms": [1, 2, 3]}, index=t),
    ...         "policy": pd.DataFrame({"Firms": [1, 3, 5]}, index=t)}
    >>> fig = plot_scenarios(runs, ["Firms"], units={"Firms": "firms"}, diff=True)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['baseline', 'policy']
    """
    names = [str(n) for n in results]
    if not names:
        raise DataError("no scenario results to plot")
    variables = [variables] if isinstance(variables, str) else list(variables)
    if not variables:
        raise DataError("no variables to plot; name at least one")
    base = _find(names, baseline)
    if diff and base is None:
        raise DataError(
            f"diff=True needs the baseline '{baseline}' among the results; have: "
            + ", ".join(names)
        )
    relative = relative and diff
    order = ([base] if base is not None else []) + [n for n in names if n != base]
    styles = scenario_styles(order, base)

    with plot_style():
        n = len(variables)
        ncols = 1 if n == 1 else 2 if n <= 4 else 3
        nrows = math.ceil(n / ncols)
        width = 4.8 * ncols + 0.4 if n > 1 else 6.4
        fig = Figure(figsize=(width, 2.9 * nrows + 1.3))
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax in axes[n:]:
            fig.delaxes(ax)
        tmin, tmax = math.inf, -math.inf
        for k, (ax, var) in enumerate(zip(axes, variables, strict=False)):
            unit = _unit_of(units, var)
            data = {name: _series(results[name], var, name) for name in order}
            for name in order:
                y = data[name]
                if diff:
                    y = _difference(y, data[base], relative)
                ax.plot(y.index, y.to_numpy(), label=name, **styles[name])
                if y.size:
                    tmin, tmax = min(tmin, y.index[0]), max(tmax, y.index[-1])
            _shade(ax, stages)
            if n > 1 or title is not None:  # a single panel's name is the figure title
                ax.set_title(var, loc="left", y=1.0)  # fixed: no search for top ticks
            ax.set_ylabel(_ylabel(unit, diff, relative, base or baseline))
            ax.yaxis.set_major_formatter(FuncFormatter(_tick))
            if k + ncols >= n:  # lowest panel of its column
                ax.set_xlabel("Year")
        if math.isfinite(tmin) and tmax > tmin:
            for ax in axes[:n]:
                ax.set_xlim(tmin, tmax)

        below, beside = _legends(fig, order, styles, stages, width, base or baseline)
        if title is None:
            kind = "% difference from" if relative else "difference from"
            what = variables[0] if n == 1 else "Scenarios"
            title = f"{what}: {kind} {base}" if diff else what if n == 1 else "Scenarios compared"
        suptitle = fig.suptitle(title, fontweight="bold", fontsize=11)
        _arrange(fig, axes[:n], suptitle, below, beside)
    return fig


def _legends(fig: Figure, order, styles, stages, width: float, base: str):
    """The scenarios' legend below the panels and the stages' legend right of them (or
    None when nothing is shaded)."""
    handles = [Line2D([], [], **styles[name]) for name in order]
    # As many columns as fit the width (about 0.07 inch a character at 8.5 pt).
    item = 0.7 + 0.07 * max(len(name) for name in order)
    ncol = max(1, min(len(order), int(width // item)))
    below = fig.legend(handles, order, loc="lower center", ncols=ncol, title="Scenario")
    shown = [s for s in STAGE_COLORS if any(st.name == s for st in stages or ())]
    shown += sorted({st.name for st in stages or ()} - set(STAGE_COLORS))
    if not shown:
        return below, None
    patches = [Patch(facecolor=STAGE_COLORS.get(s, "#eeeeee"), label=s) for s in shown]
    return below, fig.legend(patches, shown, loc="upper right", title=f"Stage of\n{base}")


def _arrange(fig: Figure, axes, suptitle, below=None, beside=None) -> None:
    """Place the panels as constrained layout does, in one measuring pass instead of its
    two plus a full draw: each column gets the widest left and right decorations (tick
    labels, axis labels) of its panels, each row the tallest above and below (titles,
    x labels), and the panels share the rest equally, between the suptitle at the top,
    the legend ``below`` at the bottom and the legend ``beside`` at the right."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    pad = 3 / 72 * fig.dpi  # constrained layout's w_pad and h_pad
    nrows, ncols = axes[0].get_subplotspec().get_gridspec().get_geometry()
    left, right, top, bottom = [0.0] * ncols, [0.0] * ncols, [0.0] * nrows, [0.0] * nrows
    cells = []
    for ax in axes:
        spec = ax.get_subplotspec()
        r, c = spec.rowspan.start, spec.colspan.start
        cells.append((ax, r, c))
        tight, box = ax.get_tightbbox(renderer, for_layout_only=True), ax.bbox
        left[c], right[c] = max(left[c], box.x0 - tight.x0), max(right[c], tight.x1 - box.x1)
        bottom[r], top[r] = max(bottom[r], box.y0 - tight.y0), max(top[r], tight.y1 - box.y1)
    x0, x1, y0, y1 = pad, width - pad, pad, height - pad
    if suptitle is not None:
        suptitle.set_y(1 - pad / height)
        y1 = suptitle.get_window_extent(renderer).y0 - pad
    if below is not None:
        y0 = below.get_window_extent(renderer).y1 + pad
    if beside is not None:
        x1 = beside.get_window_extent(renderer).x0 - pad
    gap = 2 * pad  # between panels: their pads, as in constrained layout
    w = (x1 - x0 - sum(left) - sum(right) - gap * (ncols - 1)) / ncols
    h = (y1 - y0 - sum(top) - sum(bottom) - gap * (nrows - 1)) / nrows
    if w <= 0 or h <= 0:  # decorations larger than the figure: leave the default grid
        return
    for ax, r, c in cells:
        x = x0 + sum(left[: c + 1]) + sum(right[:c]) + c * (w + gap)
        y = y1 - sum(top[: r + 1]) - sum(bottom[:r]) - r * (h + gap) - h
        ax.set_position([x / width, y / height, w / width, h / height])


def plot_variable(
    results: Mapping[str, pd.DataFrame],
    variable: str,
    *,
    baseline: str = "baseline",
    units: str | Mapping[str, str] | None = None,
    stages: Sequence[Stage] | None = None,
    diff: bool = False,
    relative: bool = False,
    title: str | None = None,
) -> Figure:
    """One variable, every scenario overlaid: :func:`plot_scenarios` with a single panel.

    The default title is the variable's name (with the kind of difference when ``diff``).
    See :func:`plot_scenarios` for the parameters.
    """
    return plot_scenarios(
        results,
        [variable],
        baseline=baseline,
        units=units,
        stages=stages,
        diff=diff,
        relative=relative,
        title=title,
    )


def save_figure(fig: Figure, path: str | Path, *, dpi: float | None = None) -> Path:
    """Write a figure byte-stably: the same inputs give the same bytes.

    The figure's layout is computed once, at its first save, and then kept: saving the same
    figure again (in any format) writes the same layout.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Output file; the format comes from the extension (``.png``, ``.svg`` or ``.pdf``).
        Parent folders are created.
    dpi : float, optional
        Resolution for PNG (default 150).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    DataError
        An extension other than png, svg or pdf.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in _SAVE_METADATA:
        raise DataError(
            f"cannot save a figure as '{path.suffix or path.name}'; use .png, .svg or .pdf"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with plot_style():
        engine = fig.get_layout_engine()
        if engine is not None:
            # Constrained layout moves things slightly on every draw; fix it after one pass
            # so that saving the same figure twice gives the same bytes. The pass is run by
            # itself (not within a draw without rendering, which draws every artist too).
            engine.execute(fig)
            fig.set_layout_engine("none")
        fig.savefig(path, format=fmt, metadata=_SAVE_METADATA[fmt], dpi=dpi)
    return path
