"""The network's two basins: member share x trust at the start, and where each start ends.

Runs the baseline cluster (eight young firms, the large plant) from a grid of initial member
shares and initial trust levels through the batch engine, colours each start by its member
share at year 80 and draws the basin boundary (the 0.5 contour between the two stable states).
Trajectories of the baseline, the subcritical cluster, the weak forum and the forum above the
threshold are drawn on top. Written by ``make docs`` to ``docs/network_basin.png``.

    python docs/network_basin.py [-o docs/network_basin.png] [-n 41]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lifecycle import ensemble, load_model, load_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TRAJECTORIES = {
    "baseline": ("baseline.toml", "black"),
    "subcritical": ("subcritical_network.toml", "tab:red"),
    "weak forum (0.5 x 3 years)": ("weak_forum.toml", "tab:orange"),
    "forum (1 x 8 years)": ("subcritical_network_with_forum.toml", "tab:blue"),
}


def basin(model, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    firms = model.parameters["initial young firms"].default
    firms += model.parameters["initial established firms"].default
    shares = np.linspace(0.0, 1.0, n)
    trusts = np.linspace(0.0, 1.0, n)
    rows = [{"initial members": s * firms, "initial trust": t} for t in trusts for s in shares]
    ds = ensemble(model, pd.DataFrame(rows), variables=["Member Share"])
    final = ds["Member Share"].values[:, -1].reshape(n, n)
    return shares, trusts, final


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "network_basin.png")
    ap.add_argument("-n", type=int, default=41, help="grid points per axis")
    args = ap.parse_args(argv)
    model = load_model(ROOT / "models" / "cluster_lifecycle.mdl")
    shares, trusts, final = basin(model, args.n)

    fig, ax = plt.subplots(figsize=(7.2, 6.0))
    mesh = ax.pcolormesh(shares, trusts, final, cmap="Greens", vmin=0, vmax=1, shading="auto")
    fig.colorbar(mesh, ax=ax, label="member share at year 80")
    ax.contour(shares, trusts, final, levels=[0.5], colors="k", linewidths=1.2, linestyles="--")
    for label, (file, colour) in TRAJECTORIES.items():
        scen = load_scenario(ROOT / "scenarios" / file, model)
        df = model.run(dict(scen.params), variables=["Member Share", "Trust"])
        ax.plot(df["Member Share"], df["Trust"], color=colour, lw=1.8, label=label)
        ax.plot(df["Member Share"].iloc[0], df["Trust"].iloc[0], "o", color=colour, ms=5)
        ax.plot(df["Member Share"].iloc[-1], df["Trust"].iloc[-1], "s", color=colour, ms=5)
    ax.set_xlabel("Member Share (initial: grid; lines: trajectories)")
    ax.set_ylabel("Trust")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(
        "Two stable states of the network: starts right of the dashed boundary\n"
        "end with a network (share 0.8), starts left of it without one",
        fontsize=10,
    )
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120, metadata={"Software": None})
    plt.close(fig)
    print(args.out)


if __name__ == "__main__":
    main()
