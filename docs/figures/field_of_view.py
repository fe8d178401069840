"""Draws docs/figures/field-of-view.png: which side of an array is the front, and the elevation frame.

Left: top views of three linear arrays, each in both element orders; the front half-plane is the
one whose broadside normal is nearest boresight +x (for an array along x, azimuth +90). Right: a
URA in the y-z plane seen from the side: elevation above the horizon, the front half-space.

Run: .venv/bin/python docs/figures/field_of_view.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from gnuradio.bearing.array.field_of_view import field_of_view
from gnuradio.bearing.array.geometry import ArrayGeometry, direction_vectors

ARROW = {"head_width": 0.06, "length_includes_head": True}


def page(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Array frame (x, y) to the page of a top view: boresight +x up, +y to the left."""
    return -v[..., 1], v[..., 0]


def linear(axis_deg: float, count: int = 5, spacing: float = 0.18) -> ArrayGeometry:
    """A horizontal linear array through the origin whose element order runs towards ``axis_deg``."""
    steps = (np.arange(count) - (count - 1) / 2) * spacing
    return ArrayGeometry(steps[:, None] * direction_vectors(axis_deg)[0])


def top_view(axes: plt.Axes, axis_deg: float, title: str) -> None:
    geometry = linear(axis_deg)
    field = field_of_view(geometry)
    start, stop = np.deg2rad(field.azimuth_deg)
    wedge = np.linspace(start, stop, 60)
    outline = np.column_stack([np.cos(wedge), -np.sin(wedge), np.zeros(wedge.size)])
    wx, wy = page(outline)
    axes.fill(np.r_[0, wx, 0], np.r_[0, wy, 0], color="tab:green", alpha=0.15, lw=0)
    axes.arrow(0, 0, 0, 1.05, color="0.4", **ARROW)
    axes.text(0.04, 1.05, "+x", fontsize=8, color="0.4")
    ex, ey = page(geometry.positions_m)
    axes.plot(ex, ey, "s", color="tab:blue", markersize=6)
    axes.annotate("", xy=(ex[-1], ey[-1]), xytext=(ex[0], ey[0]), arrowprops={"arrowstyle": "<->", "color": "tab:blue"})
    bx, by = page(direction_vectors(field.front_deg)[0])
    axes.arrow(0, 0, 0.8 * bx, 0.8 * by, color="tab:green", **ARROW)
    axes.text(0.85 * bx, 0.85 * by, f"broadside {field.front_deg:+.0f}°", color="tab:green", fontsize=8)
    axes.set_title(title, fontsize=9)
    axes.set_xlim(-1.2, 1.2)
    axes.set_ylim(-1.2, 1.3)
    axes.set_aspect("equal")
    axes.axis("off")


def side_view(axes: plt.Axes) -> None:
    """A URA in the y-z plane, seen from its left (+y towards the viewer): x to the right, z up."""
    axes.fill([0, 1.1, 1.1, 0], [-1.1, -1.1, 1.1, 1.1], color="tab:green", alpha=0.15, lw=0)
    z = (np.arange(4) - 1.5) * 0.18
    axes.plot(np.zeros(4), z, "s", color="tab:blue", markersize=6)
    axes.arrow(0, 0, 1.05, 0, color="0.4", **ARROW)
    axes.text(1.0, -0.1, "+x", fontsize=8, color="0.4")
    axes.arrow(0, 0, 0, 1.05, color="0.4", **ARROW)
    axes.text(0.04, 1.05, "+z up", fontsize=8, color="0.4")
    elevation = np.deg2rad(30.0)
    axes.arrow(0, 0, 0.85 * np.cos(elevation), 0.85 * np.sin(elevation), color="tab:red", **ARROW)
    arc = np.linspace(0, elevation, 30)
    axes.plot(0.45 * np.cos(arc), 0.45 * np.sin(arc), color="tab:red", lw=1)
    axes.text(0.5, 0.1, "elevation +30°\nabove the horizon", color="tab:red", fontsize=8)
    axes.text(0.35, -0.75, "front half-space:\nazimuth -90 .. 90,\nelevation -90 .. 90", color="tab:green", fontsize=8)
    axes.set_title("URA in the y-z plane, side view", fontsize=9)
    axes.set_xlim(-0.6, 1.3)
    axes.set_ylim(-1.2, 1.3)
    axes.set_aspect("equal")
    axes.axis("off")


def main() -> None:
    figure, panels = plt.subplots(1, 4, figsize=(12.8, 3.6))
    top_view(panels[0], -90.0, "ULA along y (either order):\nfront -90 .. 90")
    top_view(panels[1], -90.0 + 40.0, "ULA turned 40°:\nfront -50 .. 130")
    top_view(panels[2], 0.0, "ULA along x (endfire boresight):\nfront 0 .. 180 (azimuth +90)")
    side_view(panels[3])
    figure.suptitle("The frame decides what is in front; the geometry decides what is resolved", fontsize=10)
    figure.tight_layout()
    out = Path(__file__).with_name("field-of-view.png")
    figure.savefig(out, dpi=120)
    print(out)


if __name__ == "__main__":
    main()
