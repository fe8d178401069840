"""Shared fixtures: small SigMF captures of the one array model, tiny MoD-DNN models, the GRC block path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.captures.schema import Segment, Truth
from gnuradio.bearing.captures.writer import write_capture
from helpers.mod_dnn_models import SRS_OFFSETS_HZ, train_tiny_model
from helpers.signals import snapshots

# GRC (grcc, Platform) finds the installed block YAML through this path; `make test` sets it too.
os.environ.setdefault("GRC_BLOCKS_PATH", str(Path(sys.prefix) / "share" / "gnuradio" / "grc" / "blocks"))

CARRIER_HZ = 2.4e9
SAMPLE_RATE_HZ = 1e6


@pytest.fixture
def make_capture(tmp_path):
    """Writes a capture of a half-wavelength ULA: one segment per entry of ``azimuths_deg``.

    Each segment holds ``segment_length`` snapshots of unit-power sources at those azimuths
    (a float or a list per segment) at ``snr_db``, with a gap of 10^6 samples on the
    receiver's clock before the next; every source of a segment is annotated.
    """

    def make(
        azimuths_deg=(40.0,),
        segment_length: int = 512,
        num_elements: int = 4,
        snr_db: float = 20.0,
        seed: int = 1,
        name: str = "capture",
        datatype: str = "cf32_le",
    ) -> Path:
        geometry = ula(num_elements, wavelength_m(CARRIER_HZ) / 2)
        rng = np.random.default_rng(seed)
        blocks, segments, truths = [], [], []
        for index, azimuths in enumerate(azimuths_deg):
            azimuths = np.atleast_1d(azimuths)
            x = snapshots(geometry, wavelength_m(CARRIER_HZ), azimuths, snr_db, segment_length, rng)[0]
            start = index * segment_length
            blocks.append(x.T)
            segments.append(Segment(start, segment_length, global_index=index * 1_000_000))
            truths += [Truth(start, segment_length, float(a)) for a in azimuths]
        samples = np.concatenate(blocks).astype(np.complex64)
        return write_capture(
            tmp_path / name,
            samples,
            sample_rate_hz=SAMPLE_RATE_HZ,
            frequency_hz=CARRIER_HZ,
            geometry=geometry,
            segments=segments,
            truths=truths,
            datatype=datatype,
        )

    return make


@pytest.fixture(scope="session")
def narrowband_model(tmp_path_factory) -> Path:
    """A tiny narrowband MoD-DNN model file (K = 1, windows of 4 snapshots) of make_capture's array."""
    return train_tiny_model(tmp_path_factory.mktemp("models") / "narrowband.pt", (0.0,), 4)


@pytest.fixture(scope="session")
def srs_model(tmp_path_factory) -> Path:
    """A tiny SRS-style MoD-DNN model file (K = 2 subcarriers, windows of 2 items) of the same array."""
    return train_tiny_model(tmp_path_factory.mktemp("models") / "srs.pt", SRS_OFFSETS_HZ, 2)
