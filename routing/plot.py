"""A PNG map of a network, its service zone and stops (matplotlib, no tiles, offline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from routing.network import Network


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A stop to draw; ``label`` is written beside it when given."""

    lat: float
    lon: float
    label: str | None = None


def draw_map(net: Network, out: Path, title: str, zone: Sequence[tuple[float, float]],
             stops: Sequence[MapPoint]) -> None:
    """Draw the roads, the ``zone`` and the ``stops`` to the PNG file ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    a = net.arrays
    src = np.repeat(np.arange(a.node_count), np.diff(a.indptr))
    segs = np.stack(
        [np.column_stack([a.lon[src], a.lat[src]]), np.column_stack([a.lon[a.indices], a.lat[a.indices]])],
        axis=1,
    )
    fig, ax = plt.subplots(figsize=(9, 11), dpi=110)
    ax.add_collection(LineCollection(list(segs), colors="0.45", linewidths=0.6))
    zlat, zlon = zip(*zone, strict=True)
    ax.plot([*zlon, zlon[0]], [*zlat, zlat[0]], color="tab:blue", lw=1.2, ls="--", label="service zone")
    ax.scatter([s.lon for s in stops], [s.lat for s in stops], s=18, c="tab:red", zorder=3,
               label="service stops")
    for s in stops:
        if s.label:
            ax.annotate(s.label, (s.lon, s.lat), fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_aspect(1 / np.cos(np.radians(float(np.mean(a.lat)))))
    ax.autoscale()
    kind = "APPROXIMATE network" if net.approximate else "OSM network"
    ax.set_title(f"{title}: {kind}, {net.node_count} nodes, {net.edge_count} edges")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
