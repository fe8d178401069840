"""Simulated covariances of 0 .. K_max sources, and the training of the learned source counters.

The H2AD paper (Deng, Bai, ..., Shu 2025, Sec. V) trains and tests its counters on
simulated snapshots: 200 per covariance, SNRs from -20 dB up. Here every example is a
half-wavelength ULA of M elements (:func:`~gnuradio.bearing.array.geometry.ula`,
:func:`~gnuradio.bearing.array.geometry.steering_matrix`)
receiving K independent circular complex Gaussian sources in white noise of unit power,
``X = A S + N`` over T snapshots, and its sample covariance ``X X^H / T``
(:func:`~gnuradio.bearing.array.covariance.sample_covariance`):

* K uniform in ``0 .. K_max`` (0: noise only, so that a counter can answer "no source");
* azimuths uniform in -60 .. 60 deg, at least ``min_separation_deg`` apart
  (:func:`random_azimuths`);
* each source's SNR (per element, its power over the noise power) uniform within
  ``power_spread_db / 2`` of the example's SNR in dB, the SNR uniform over the training
  range (default -20 .. 30 dB, :data:`DEFAULT_SNR_RANGE_DB`).

Training is :func:`~gnuradio.bearing.learned.mod_dnn_training.fit` (Adam, step schedule, early stopping on a
validation split, best weights kept) with the cross-entropy loss (eq. (32)), on one torch
thread (:func:`one_torch_thread`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from ..array.covariance import sample_covariance
from ..array.geometry import steering_matrix, ula
from ..array.signals import complex_normal
from ..learned.training import Progress, TrainingOptions, fit, split_indices
from .eigen import eigenvalues
from .models import CounterConfig, SourceCounter

DEFAULT_SNAPSHOTS = 200
"""Snapshots per covariance (the H2AD paper, Sec. V)."""
DEFAULT_SNR_RANGE_DB = (-20.0, 30.0)
"""The training SNRs, dB: the paper's range starts at -20 dB. It reaches 30 dB for captures
stronger than the paper's: on 8 elements, 50000 examples, counters trained up to 10 dB
miscounted 1.35 % (FCNN) and 1.35 % (DNN) of the covariances at 20 and 30 dB respectively,
trained up to 30 dB 0.95 % and 0.4 %, with the same accuracy at -10 and 0 dB (within 1 %)."""
DEFAULT_EXAMPLES = 50000
"""Covariances per training run (training and validation together)."""
SIMULATION_CHUNK = 1000
"""Covariances simulated at once by :func:`simulate_training_set` (590 MB for 192 elements)."""

COUNTER_TRAINING = TrainingOptions(
    epochs=60, lr=3e-3, lr_halving_epochs=12, batch_size=256, validation_fraction=0.2, patience=20
)
"""Optimiser settings of the counters (the paper gives none): Adam, batches of 256 (the
networks are small: larger batches train faster per epoch), the learning rate halved every
12 of at most 60 epochs."""
DNN_TRAINING = dataclasses.replace(COUNTER_TRAINING, epochs=200, lr_halving_epochs=40, patience=60)
"""The enhanced DNN's settings: its five features leave 3 and 4 weak sources a narrow margin
that the network resolves late in a long schedule (docs/source-counting.md, "Learned
counters"): the learning rate halved every 40 of at most 200 epochs."""
TRAINING_OPTIONS = {"dnn": DNN_TRAINING, "cnn1d": COUNTER_TRAINING, "fcnn": COUNTER_TRAINING}
"""Each learned method's default :class:`TrainingOptions` (:func:`train_counter`)."""


@dataclass(frozen=True)
class SceneSettings:
    """How the sources of a simulated covariance are drawn.

    Attributes:
        spacing_wavelengths: the ULA's element spacing, wavelengths.
        field_of_view_deg: azimuths are uniform in ``(low, high)``, degrees.
        min_separation_deg: smallest azimuth difference between two sources, degrees. At
            10 deg on an 8-element half-wavelength ULA, the weaker signal eigenvalue of two
            equal sources, ``p (M - |a_1^H a_2|)``, keeps 0.62 of its value far apart at
            broadside and 0.24 at -60 deg.
        power_spread_db: each source's SNR is uniform within +- half of this around the
            example's SNR, dB.
    """

    spacing_wavelengths: float = 0.5
    field_of_view_deg: tuple[float, float] = (-60.0, 60.0)
    min_separation_deg: float = 10.0
    power_spread_db: float = 6.0

    def __post_init__(self) -> None:
        low, high = self.field_of_view_deg
        if not (self.spacing_wavelengths > 0 and low < high and self.min_separation_deg >= 0):
            raise ValueError(
                "scene settings: need spacing > 0, field of view low < high and min separation >= 0, got "
                f"{self.spacing_wavelengths!r}, {self.field_of_view_deg!r}, {self.min_separation_deg!r}"
            )
        if not self.power_spread_db >= 0:
            raise ValueError(f"power_spread_db: must be >= 0, got {self.power_spread_db!r}")


@dataclass(frozen=True)
class CounterData:
    """Labelled covariances, kept as their eigenvalues (all a learned counter sees of them).

    Attributes:
        eigenvalues: ``(N, M)`` float64, the descending eigenvalues of each sample covariance
            (:func:`~gnuradio.bearing.counting.eigen.eigenvalues`; noise power 1). ``N x M`` numbers
            instead of the covariances' ``N x M x M``: 50000 covariances of 192 elements are 29 GB, their
            eigenvalues 77 MB.
        num_sources: ``(N,)`` int64, the true counts.
        snr_db: ``(N,)`` the examples' SNRs, dB.
        record: how they were drawn (snapshots, SNR range, scene settings, examples, seed):
            the ``trained_on`` of a counter trained on them.
    """

    eigenvalues: NDArray[np.float64]
    num_sources: NDArray[np.int64]
    snr_db: NDArray[np.float64]
    record: dict


def random_azimuths(
    num_sources: int, rng: np.random.Generator, settings: SceneSettings = SceneSettings()
) -> NDArray[np.float64]:
    """``num_sources`` azimuths, degrees, ascending, uniform over the configurations at least
    ``min_separation_deg`` apart within the field of view.

    Uniform draws in the field of view shortened by ``(K - 1)`` separations, sorted, and
    shifted by ``0, s, 2 s, ...``: the spacings then have the law of uniform spacings with the
    minimum added, without rejection.
    """
    low, high = settings.field_of_view_deg
    span = high - low - (num_sources - 1) * settings.min_separation_deg
    if span < 0:
        raise ValueError(
            f"{num_sources} sources at least {settings.min_separation_deg} deg apart do not fit in "
            f"{low} .. {high} deg"
        )
    return (
        low
        + np.sort(rng.uniform(0.0, span, num_sources))
        + settings.min_separation_deg * np.arange(num_sources)
    )


def _simulate_covariance(
    num_elements: int,
    num_sources: int,
    snr_db: float,
    num_snapshots: int,
    rng: np.random.Generator,
    settings: SceneSettings = SceneSettings(),
) -> NDArray[np.complex128]:
    """One sample covariance ``(M, M)`` of ``num_sources`` random sources (module docstring)."""
    if int(num_sources) != num_sources or not 0 <= num_sources < num_elements:
        raise ValueError(
            f"num_sources must be an integer in 0 .. M-1 = {num_elements - 1}, got {num_sources!r}"
        )
    if int(num_snapshots) != num_snapshots or num_snapshots < 1:
        raise ValueError(f"num_snapshots must be a positive integer, got {num_snapshots!r}")
    if not np.isfinite(snr_db):
        raise ValueError(f"snr_db must be finite, got {snr_db!r}")
    k = int(num_sources)
    a = steering_matrix(
        ula(num_elements, settings.spacing_wavelengths).positions_m, random_azimuths(k, rng, settings), 1.0
    )
    half_spread = settings.power_spread_db / 2
    amplitude = 10.0 ** ((snr_db + rng.uniform(-half_spread, half_spread, k)) / 20.0)
    signals = amplitude[:, None] * complex_normal(rng, (k, num_snapshots))
    return sample_covariance(a @ signals + complex_normal(rng, (num_elements, num_snapshots)))


def simulate_covariances(
    num_elements: int,
    num_sources: ArrayLike,
    snr_db: ArrayLike,
    num_snapshots: int,
    rng: np.random.Generator,
    settings: SceneSettings = SceneSettings(),
) -> NDArray[np.complex128]:
    """Sample covariances of random scenes, one per element of ``num_sources`` and ``snr_db``
    broadcast together: shape ``broadcast shape + (M, M)``; scalars give one ``(M, M)``.

    Args:
        num_elements: ``M``, the half-wavelength ULA's elements (spacing: ``settings``).
        num_sources: true counts, ``0 .. M-1``.
        snr_db: per-element SNR of the sources, dB (each source within ``power_spread_db /
            2`` of it).
        num_snapshots: ``T``.
        rng: the random generator.
        settings: azimuth and power draws.

    Example (the accuracy of a counter at -10 dB, two sources, 500 trials)::

        r = simulate_covariances(8, np.full(500, 2), -10.0, 200, np.random.default_rng(0))
        np.mean(counter.predict(r) == 2)
    """
    counts, snrs = np.broadcast_arrays(np.asarray(num_sources), np.asarray(snr_db, dtype=np.float64))
    covariances = [
        _simulate_covariance(num_elements, k, snr, num_snapshots, rng, settings)
        for k, snr in zip(counts.ravel(), snrs.ravel(), strict=True)
    ]
    return np.reshape(covariances, (*counts.shape, num_elements, num_elements))


def chunks(count: int, size: int) -> list[NDArray[np.int64]]:
    """The indices ``0 .. count - 1`` in consecutive chunks of at most ``size`` (as equal as can
    be): the simulations hold one chunk of covariances in memory at a time."""
    return np.array_split(np.arange(count), -(-count // size))


def simulate_training_set(
    num_elements: int,
    max_sources: int,
    examples: int,
    seed: int = 0,
    num_snapshots: int = DEFAULT_SNAPSHOTS,
    snr_range_db: tuple[float, float] = DEFAULT_SNR_RANGE_DB,
    settings: SceneSettings = SceneSettings(),
) -> CounterData:
    """``examples`` covariances, counts uniform in ``0 .. max_sources``, SNRs uniform in ``snr_range_db``.

    Simulated :data:`SIMULATION_CHUNK` at a time and kept as their eigenvalues
    (:class:`CounterData`); the draws are those of one :func:`simulate_covariances` call.
    """
    low, high = snr_range_db
    if not low <= high:
        raise ValueError(f"snr_range_db: need min <= max, got {low} .. {high} dB")
    if int(examples) != examples or examples < 2:
        raise ValueError(f"examples: need at least 2 (training and validation), got {examples!r}")
    if int(max_sources) != max_sources or not 1 <= max_sources < num_elements:
        raise ValueError(f"max_sources must be in 1 .. M-1 = {num_elements - 1}, got {max_sources!r}")
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, max_sources + 1, examples)
    snrs = rng.uniform(low, high, examples)
    record = {
        "num_snapshots": int(num_snapshots),
        "snr_range_db": [float(low), float(high)],
        "examples": int(examples),
        "seed": int(seed),
        "scene": dataclasses.asdict(settings),
    }
    values = np.concatenate(
        [
            eigenvalues(simulate_covariances(num_elements, counts[c], snrs[c], num_snapshots, rng, settings))
            for c in chunks(examples, SIMULATION_CHUNK)
        ]
    )
    return CounterData(values, counts.astype(np.int64), snrs, record)


def train_counter(
    config: CounterConfig,
    data: CounterData,
    options: TrainingOptions | None = None,
    progress: Progress | None = None,
) -> SourceCounter:
    """Train a counter for ``config`` on ``data`` (cross-entropy,
    :func:`~gnuradio.bearing.learned.mod_dnn_training.fit`).

    ``options`` defaults to the method's :data:`TRAINING_OPTIONS`. Its
    ``validation_fraction`` of the covariances are held out (its ``seed`` draws them, the
    initial weights and the batch order); the DNN's feature standardisation is the
    training split's mean and standard deviation; the counter keeps the weights of its best
    validation epoch. Its ``config.trained_on`` is ``data.record``, its ``history`` the epochs
    (``stage`` is the method).

    Raises:
        ValueError: the data's array size or counts do not fit ``config``.
    """
    options = TRAINING_OPTIONS[config.method] if options is None else options
    m = config.num_elements
    if data.eigenvalues.shape[1:] != (m,):
        raise ValueError(
            f"the data hold {data.eigenvalues.shape[1:]} eigenvalues per covariance; the counter is "
            f"for {m} x {m} covariances"
        )
    if np.any(data.num_sources > config.max_sources) or np.any(data.num_sources < 0):
        raise ValueError(f"the data hold counts outside 0 .. max_sources = {config.max_sources}")
    with one_torch_thread():
        torch.manual_seed(options.seed)
        counter = SourceCounter(dataclasses.replace(config, trained_on=data.record))
        inputs = counter.eigenvalue_inputs(data.eigenvalues)
        labels = torch.as_tensor(data.num_sources)
        train, validation = split_indices(len(labels), options.validation_fraction, options.seed)
        counter.fit_standardisation(inputs[train])

        def loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.cross_entropy(counter(x), y)

        counter.history = fit(
            counter,
            loss,
            (inputs[train], labels[train]),
            (inputs[validation], labels[validation]),
            options,
            config.method,
            progress,
        )
    counter.eval()
    return counter


def counting_accuracy(counter: SourceCounter, data: CounterData) -> float:
    """Share of ``data``'s covariances whose count ``counter`` gets right."""
    with one_torch_thread():
        return float(np.mean(counter.predict_eigenvalues(data.eigenvalues) == data.num_sources))


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the block on one torch thread, then restore the thread count.

    The counters are tiny: on a 2-core machine shared with other jobs, more threads only
    wait for each other on every small operation (see
    :data:`~gnuradio.bearing.studies.accuracy.setting.TORCH_THREADS`).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
