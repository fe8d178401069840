"""`bearing simulate`: a SigMF capture from a scenario (a preset or a scenario file)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from ..captures.presets import PRESETS
from ..captures.scenario import Scenario
from ..captures.simulation import simulate, write
from ..nr import simulator as srs_simulator
from ..nr.simulator import SRS_PRESETS, SrsScenario
from ..positioning.scene import SCENE_PRESETS, Scene


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    simulation = commands.add_parser("simulate", help="write a SigMF capture from a scenario")
    source = simulation.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--preset",
        choices=sorted(PRESETS | SRS_PRESETS | SCENE_PRESETS),
        help="a named scenario (scene_*: a multi-station scene, a folder of captures; docs/positioning.md)",
    )
    source.add_argument(
        "--scenario", metavar="FILE.json", help='a scenario file (docs/simulator.md; with "ues": docs/srs.md)'
    )
    simulation.add_argument(
        "--out", required=True, help="capture path (.sigmf-meta/.sigmf-data are added); a folder for a scene"
    )
    simulation.add_argument("--seed", type=int, help="override the scenario's master seed")
    simulation.add_argument("--rho", type=float, help="override the impairment degree (0 = ideal array)")
    simulation.add_argument("--snr-db", type=float, help="override the SNR of every emitter (or UE), dB")
    simulation.add_argument(
        "--continuous",
        action="store_true",
        help="SRS scenarios: store every sample, not only the SRS windows",
    )
    simulation.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.preset in SCENE_PRESETS:
        if args.continuous:
            raise ValueError("--continuous: only for SRS scenarios")
        scene = _override_scene(
            SCENE_PRESETS[args.preset](), seed=args.seed, rho=args.rho, snr_db=args.snr_db
        )
        scene.write(args.out)
        print(Path(args.out))
        return 0
    if args.preset:
        scenario = (PRESETS | SRS_PRESETS)[args.preset]()
    else:
        try:
            data = json.loads(Path(args.scenario).read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{args.scenario}: not valid JSON ({error})") from None
        is_srs = isinstance(data, dict) and "ues" in data
        scenario = SrsScenario.from_dict(data) if is_srs else Scenario.from_dict(data)
    scenario = _override(scenario, seed=args.seed, rho=args.rho, snr_db=args.snr_db)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(scenario, SrsScenario):
        if args.continuous:
            scenario = dataclasses.replace(scenario, continuous=True)
        print(srs_simulator.write(srs_simulator.simulate(scenario), out))
    elif args.continuous:
        raise ValueError("--continuous: only for SRS scenarios; narrowband scenarios store every sample")
    else:
        print(write(simulate(scenario), out))
    return 0


def _override(
    scenario: Scenario | SrsScenario, seed: int | None, rho: float | None, snr_db: float | None
) -> Scenario | SrsScenario:
    """The scenario with the command line's overrides applied (None keeps the scenario's value)."""
    changes: dict = {}
    if seed is not None:
        changes["seed"] = seed
    if rho is not None:
        changes["impairments"] = dataclasses.replace(scenario.impairments, rho=rho)
    if snr_db is not None:
        name = "ues" if isinstance(scenario, SrsScenario) else "emitters"
        changes[name] = tuple(dataclasses.replace(e, snr_db=snr_db) for e in getattr(scenario, name))
    return dataclasses.replace(scenario, **changes)


def _override_scene(scene: Scene, seed: int | None, rho: float | None, snr_db: float | None) -> Scene:
    """The scene with the overrides applied: every station's ``rho``, every emitter's SNR at 100 m."""
    changes: dict = {}
    if seed is not None:
        changes["seed"] = seed
    if rho is not None:
        changes["stations"] = tuple(dataclasses.replace(s, rho=rho) for s in scene.stations)
    if snr_db is not None:
        changes["emitters"] = tuple(dataclasses.replace(e, snr_db=snr_db) for e in scene.emitters)
    return dataclasses.replace(scene, **changes)
