"""The map of docs/positioning.md: the scene_three_stations replay, drawn by headless chromium.

    .venv/bin/python tests/bench/map_screenshot.py [--out docs/figures/positioning/map.png]

Simulates the preset scene (impaired arrays, rho 1), replays it with MUSIC (two emitters per
estimate), writes the static map (`bearing locate --html`) and screenshots it at 1200 x 800.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: its helpers
from helpers.browser import headless_chromium

BEARING = str(Path(sys.prefix) / "bin" / "bearing")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/figures/positioning/map.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        scene, page = Path(folder) / "scene", Path(folder) / "map.html"
        subprocess.run([BEARING, "simulate", "--preset", "scene_three_stations", "--out", scene], check=True)
        command = [
            BEARING,
            "locate",
            "--replay",
            scene,
            "--sources",
            "2",
            "--html",
            page,
            "--out",
            "/dev/null",
        ]
        subprocess.run(command, check=True)
        driver = headless_chromium()
        try:
            driver.get(page.as_uri())
            time.sleep(1.0)
            driver.save_screenshot(args.out)
        finally:
            driver.quit()
    print(args.out)


if __name__ == "__main__":
    main()
