"""Memory and time of the `bearing` commands on large captures: a 2 GiB replay and training set,
and a 512-channel array (issue 20).

Run from the repository root after `make install`:

    .venv/bin/python tests/bench/memory.py [--gib 2] [--channels 512] [--work DIR] [--only NAME]

Builds the captures in ``--work`` (kept for the next run):

* ``demo_big``: the bundled demo capture stretched to ``--gib`` GiB: each segment's samples
  repeated back to back (the sweep's angles and truth stay where they were, each segment
  ``factor`` times longer), so that a replay makes ``factor`` times the estimates;
* ``calibration_big``: the calibration sweep of ``bearing simulate --preset calibration_ula4``
  stretched the same way, for `bearing train`;
* ``wide``: a consistent ``--channels``-element half-wavelength ULA, one emitter over
  8 segments of 256 snapshots from -50 to 50 deg (about 8 MB at 512 channels).

then runs each command under ``/usr/bin/time`` and prints a markdown table: wall time, the
command's peak resident memory (RSS), its exit status and its last line on stderr.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from gnuradio.bearing.array.geometry import wavelength_m

ROOT = Path(__file__).resolve().parents[2]
BEARING = str(ROOT / ".venv" / "bin" / "bearing")
DEMO = ROOT / "examples" / "data" / "demo_ula4.sigmf-meta"


def stretch(meta_path: Path, factor: int, out: Path) -> Path:
    """Writes ``out`` (.sigmf-meta/.sigmf-data): the capture at ``meta_path`` with each segment's
    samples repeated ``factor`` times back to back; segments and annotations are moved and
    lengthened to match. Streams one segment at a time."""
    metadata = json.loads(meta_path.read_text())
    data = np.memmap(meta_path.with_suffix(".sigmf-data"), dtype=np.uint8, mode="r")
    row = len(metadata["captures"][0]["spatial:element_geometry"]) * 8  # bytes per cf32 snapshot
    segments = metadata["captures"]
    starts = [segment["core:sample_start"] for segment in segments] + [data.size // row]
    moved = {}
    with out.with_suffix(".sigmf-data").open("wb") as sink:
        for segment, start, end in zip(segments, starts, starts[1:], strict=False):
            moved[start] = sink.tell() // row
            block = np.asarray(data[start * row : end * row])
            for _ in range(factor):
                sink.write(block.tobytes())
            segment["core:sample_start"] = moved[start]
            if "core:global_index" in segment:
                segment["core:global_index"] *= factor
    for annotation in metadata["annotations"]:
        annotation["core:sample_start"] = moved[annotation["core:sample_start"]]
        annotation["core:sample_count"] *= factor
    metadata["global"].pop("core:sha512", None)
    out.with_suffix(".sigmf-meta").write_text(json.dumps(metadata))
    return out.with_suffix(".sigmf-meta")


def wide(channels: int, out: Path) -> Path:
    """A consistent ``channels``-element ULA capture from `bearing simulate --scenario`."""
    scenario = {
        "array": {"kind": "ula", "num_elements": channels, "spacing_m": wavelength_m(2.4e9) / 2},
        "frequency_hz": 2.4e9,
        "sample_rate_hz": 1e6,
        "emitters": [{"azimuth_deg": -50.0, "azimuth_end_deg": 50.0, "snr_db": 10.0, "label": "e"}],
        "snapshots_per_segment": 256,
        "num_segments": 8,
        "seed": 5,
        "description": f"{channels}-element ULA, one emitter from -50 to 50 deg",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(scenario, file)
        file.flush()
        subprocess.run([BEARING, "simulate", "--scenario", file.name, "--out", str(out)], check=True)
    return out.with_suffix(".sigmf-meta")


def measure(command: list[str]) -> dict:
    """Runs ``command`` under /usr/bin/time: its wall time, peak RSS, status, last stderr line."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        done = subprocess.run(
            ["/usr/bin/time", "-o", timing.name, "-f", "%e %M", *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        seconds, kilobytes = timing.read().split()[-2:]
    lines = done.stderr.strip().splitlines()
    return {
        "seconds": float(seconds),
        "rss_mb": int(kilobytes) / 1024.0,
        "status": done.returncode,
        "last": lines[-1] if lines else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0, help="size of the large captures, GiB")
    parser.add_argument("--channels", type=int, default=512, help="elements of the wide array")
    parser.add_argument("--work", default=str(ROOT / "build" / "bench" / "memory"), help="capture folder")
    parser.add_argument(
        "--only", help="run the cases of this capture only (demo_big, calibration_big, wide512)"
    )
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    demo_bytes = DEMO.with_suffix(".sigmf-data").stat().st_size
    demo_big = work / "demo_big.sigmf-meta"
    if not demo_big.exists():
        stretch(DEMO, max(1, round(args.gib * 2**30 / demo_bytes)), demo_big)
    calibration = work / "calibration.sigmf-meta"
    if not calibration.exists():
        subprocess.run(
            [BEARING, "simulate", "--preset", "calibration_ula4", "--out", str(calibration)], check=True
        )
    calibration_big = work / "calibration_big.sigmf-meta"
    if not calibration_big.exists():
        factor = max(1, round(args.gib * 2**30 / calibration.with_suffix(".sigmf-data").stat().st_size))
        stretch(calibration, factor, calibration_big)
    wide_meta = work / f"wide{args.channels}.sigmf-meta"
    if not wide_meta.exists():
        wide(args.channels, wide_meta)
    model = work / "model.pt"
    cases = [
        ("estimate", demo_big, ["estimate", str(demo_big), "--json"]),
        ("evaluate", demo_big, ["evaluate", str(demo_big)]),
        ("estimate annotations", demo_big, ["estimate", str(demo_big), "--average", "annotations", "--json"]),
        (
            "train",
            calibration_big,
            ["train", "--captures", str(calibration_big), "--out", str(model), "--epochs", "2"],
        ),
        ("estimate music", wide_meta, ["estimate", str(wide_meta), "--average", "256", "--json"]),
        (
            "estimate scg",
            wide_meta,
            ["estimate", str(wide_meta), "--average", "256", "--method", "scg", "--json"],
        ),
        ("train", wide_meta, ["train", "--captures", str(wide_meta), "--out", str(model), "--epochs", "2"]),
    ]
    print("| command | capture | size | seconds | peak RSS | status | last line on stderr |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    cases = [case for case in cases if args.only in (None, case[1].stem)]
    for name, capture, command in cases:
        row = measure([BEARING, *command])
        size = capture.with_suffix(".sigmf-data").stat().st_size / 2**20
        print(
            f"| {name} | {capture.stem} | {size:.0f} MiB | {row['seconds']:.1f} | {row['rss_mb']:.0f} MB "
            f"| {row['status']} | {row['last'][:100]} |",
            flush=True,
        )
    print(f"\ncommands: {' ; '.join(shlex.join(['bearing', *c]) for _, _, c in cases)}", file=sys.stderr)


if __name__ == "__main__":
    main()
