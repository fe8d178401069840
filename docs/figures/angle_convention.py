"""Draws docs/figures/angle-convention.png: the SigMF spatial frame gr-bearing uses.

Run: .venv/bin/python docs/figures/angle_convention.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from gnuradio.bearing.array.geometry import direction_vectors, ula


def main() -> None:
    figure, axes = plt.subplots(figsize=(6.4, 6.4))

    # Top view, drawn with boresight (+x) pointing up the page and +y to the left.
    def page(v):  # array frame (x, y) -> page (horizontal, vertical)
        return -v[..., 1], v[..., 0]

    arrow = {"head_width": 0.05, "length_includes_head": True}
    axes.arrow(0, 0, 0, 1.1, color="k", **arrow)
    axes.text(0.03, 1.12, "+x  boresight, azimuth 0°", fontsize=10)
    axes.arrow(0, 0, -1.1, 0, color="k", **arrow)
    axes.text(-1.18, 0.05, "+y", fontsize=10)
    axes.text(-1.25, 1.2, "+z up: out of the page", fontsize=9)

    elements = ula(4, 0.25).positions_m
    ex, ey = page(elements)
    axes.plot(ex, ey, "s", color="tab:blue", markersize=10)
    for index, (px, py) in enumerate(zip(ex, ey, strict=True)):
        axes.text(px, py - 0.12, f"m={index}", ha="center", fontsize=8, color="tab:blue")

    emitter_deg = 40.0
    u = direction_vectors(emitter_deg)[0]
    ux, uy = page(u)
    axes.arrow(0, 0, 0.95 * ux, 0.95 * uy, color="tab:red", **arrow)
    axes.text(ux, uy + 0.04, f"emitter at azimuth +{emitter_deg:.0f}°", color="tab:red", fontsize=10)
    arc = np.deg2rad(np.linspace(0, emitter_deg, 50))
    axes.plot(0.45 * np.sin(arc), 0.45 * np.cos(arc), color="tab:red")
    axes.text(0.2, 0.5, "clockwise", color="tab:red", fontsize=9)
    negative = direction_vectors(-40.0)[0]
    nx, ny = page(negative)
    axes.plot([0, 0.9 * nx], [0, 0.9 * ny], ":", color="gray")
    axes.text(nx - 0.05, ny + 0.04, "azimuth -40°", color="gray", fontsize=9, ha="right")

    axes.text(
        -1.25,
        -0.62,
        "u = (cos az cos el, -sin az cos el, sin el)\n"
        "a_m = exp(+j 2π u·r_m / λ)   (ULA: element index grows towards +azimuth)",
        fontsize=9,
        family="monospace",
    )
    axes.set_xlim(-1.3, 1.3)
    axes.set_ylim(-0.75, 1.3)
    axes.set_aspect("equal")
    axes.axis("off")
    axes.set_title("gr-bearing angle convention (SigMF spatial extension), top view")
    out = Path(__file__).with_name("angle-convention.png")
    figure.savefig(out, dpi=110, bbox_inches="tight")
    print(out)


if __name__ == "__main__":
    main()
