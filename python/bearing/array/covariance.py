"""Spatial covariance estimation and the decorrelation steps for coherent sources.

All functions take and return complex128 numpy arrays; rows and columns index the array
elements in the order of :class:`~gnuradio.bearing.array.geometry.ArrayGeometry`.

Coherent sources (multipath, repeaters) make the source covariance singular, so the
signal subspace of ``R`` loses dimensions and subspace methods (MUSIC, root-MUSIC,
ESPRIT) fail. Forward-backward averaging and spatial smoothing restore the rank, at
the cost of aperture; both need a shift-invariant, centro-symmetric array (a ULA).

References:
    T.-J. Shan, M. Wax, T. Kailath, "On spatial smoothing for direction-of-arrival
    estimation of coherent signals", IEEE Trans. ASSP 33(4), 806-811, 1985.
    S. U. Pillai, B. H. Kwon, "Forward/backward spatial smoothing techniques for coherent
    signal identification", IEEE Trans. ASSP 37(1), 8-15, 1989.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def sample_covariance(snapshots: ArrayLike) -> NDArray[np.complex128]:
    """Sample covariance ``R = X X^H / T`` of array snapshots.

    Args:
        snapshots: ``X``, shape ``(M, T)``: one column per snapshot (time sample) of the
            ``M`` element signals, complex baseband.

    Returns:
        ``R``, shape ``(M, M)``, complex128, Hermitian.
    """
    x = np.asarray(snapshots)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"snapshots must have shape (M, T) with M, T >= 1, got shape {x.shape}")
    x = x.astype(np.complex128, copy=False)
    _check_finite(x, "snapshots")
    return (x @ x.conj().T) / x.shape[1]


def forward_backward(covariance: ArrayLike) -> NDArray[np.complex128]:
    """Forward-backward averaged covariance ``(R + J conj(R) J) / 2``.

    ``J`` is the exchange (anti-identity) matrix. For a centro-symmetric array (e.g. a
    ULA) ``J conj(a(az))`` equals ``a(az)`` up to a unit phase, so the backward covariance
    has the same steering vectors with the source phases conjugated: averaging the two
    decorrelates a coherent pair by a factor depending on its relative phase (Pillai &
    Kwon 1989). The result is Hermitian and persymmetric.

    Args:
        covariance: ``R``, shape ``(M, M)``.

    Returns:
        shape ``(M, M)``, complex128.
    """
    r = check_covariance(covariance)
    return 0.5 * (r + r[::-1, ::-1].conj())


def spatial_smoothing(covariance: ArrayLike, subarray_length: int) -> NDArray[np.complex128]:
    """Forward spatial smoothing: the mean of the ``M - L + 1`` overlapping subarray covariances.

    ``R_ss = 1/(M-L+1) * sum_i R[i:i+L, i:i+L]`` (Shan, Wax & Kailath 1985). The source
    covariance of ``R_ss`` is the average of the source covariance seen from each shifted
    subarray, which for a ULA multiplies coherent cross-terms by unit phasors that do not
    add up: with ``M - L + 1 >= K`` subarrays, ``K`` coherent sources are resolvable. The
    result belongs to the ``L``-element subarray ``geometry.subarray(0, L)``.

    Forward-backward spatial smoothing (FB-SS, Pillai & Kwon 1989) is
    ``spatial_smoothing(forward_backward(R), L)``: forward-backward averaging is applied
    first, to the full ``M x M`` covariance, so that each subarray covariance is averaged
    with its backward counterpart; this doubles the number of decorrelating terms and
    resolves up to ``2M/3`` coherent sources instead of ``M/2``. (For this exact
    operator the two steps commute, ``SS(FB(R)) == FB(SS(R))``, since ``J conj(.) J``
    maps the set of forward subarrays onto itself; applying FB first is the defined
    order, and the form every caller uses.)

    Args:
        covariance: ``R``, shape ``(M, M)``, of a ULA in element order.
        subarray_length: ``L`` with ``1 <= L <= M``.

    Returns:
        shape ``(L, L)``, complex128.
    """
    r = check_covariance(covariance)
    num_elements = r.shape[0]
    if int(subarray_length) != subarray_length or not 1 <= subarray_length <= num_elements:
        raise ValueError(
            f"subarray_length must be an integer in [1, M] = [1, {num_elements}], got {subarray_length!r}"
        )
    length = int(subarray_length)
    num_subarrays = num_elements - length + 1
    return sum(r[i : i + length, i : i + length] for i in range(num_subarrays)) / num_subarrays


def item_snapshots(items: ArrayLike, num_elements: int, num_subcarriers: int = 1) -> NDArray[np.complex128]:
    """Snapshots ``(M, T*K)`` of T stream items of M x K channel frequency responses.

    An item is a vector of ``M * K`` values laid out channel-major (``item[m * K + k]``);
    with K = 1 it is one M-channel snapshot. Column ``t * K + k`` of the result is
    subcarrier k of item t, so ``sample_covariance`` of it is the MoD-DNN paper's
    ``R = 1/(T K) sum_t sum_k h_k(t) h_k(t)^H`` (eq. 11).
    """
    array = np.asarray(items)
    if array.ndim != 2 or array.shape[1] != num_elements * num_subcarriers:
        raise ValueError(
            f"items must have shape (T, M*K) = (T, {num_elements * num_subcarriers}), got {array.shape}"
        )
    count = array.shape[0]
    per_item = array.reshape(count, num_elements, num_subcarriers).transpose(1, 0, 2)
    return per_item.reshape(num_elements, count * num_subcarriers).astype(np.complex128)


def exponential_update(
    previous: ArrayLike | None, snapshots: ArrayLike, forgetting_factor: float, num_subcarriers: int = 1
) -> NDArray[np.complex128]:
    """Exponentially weighted covariance after T more items.

    ``R <- f^T R + (1 - f) sum_i f^(T-1-i) (1/K) sum_k x_{i,k} x_{i,k}^H`` for items
    ``i = 0 .. T-1`` with K subcarriers each (``snapshots`` as from :func:`item_snapshots`,
    shape ``(M, T*K)``). ``previous`` None starts from zero.
    """
    x = np.asarray(snapshots, dtype=np.complex128)
    count = x.shape[1] // num_subcarriers
    item_weights = (1.0 - forgetting_factor) * forgetting_factor ** np.arange(count - 1, -1, -1)
    weights = np.repeat(item_weights / num_subcarriers, num_subcarriers)
    update = (x * weights) @ x.conj().T
    if previous is None:
        return update
    return forgetting_factor**count * np.asarray(previous, dtype=np.complex128) + update


def check_covariance(covariance: ArrayLike, num_elements: int | None = None) -> NDArray[np.complex128]:
    """Validate a spatial covariance matrix and return it as complex128.

    Raises ``ValueError`` if it is not a finite square ``(M, M)`` matrix, or if
    ``num_elements`` is given and ``M`` differs from it.
    """
    r = np.asarray(covariance)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 1:
        raise ValueError(f"covariance must be a square (M, M) matrix, got shape {r.shape}")
    if num_elements is not None and r.shape[0] != num_elements:
        raise ValueError(
            f"covariance is {r.shape[0]} x {r.shape[1]} but the array geometry has {num_elements} elements"
        )
    r = r.astype(np.complex128, copy=False)
    _check_finite(r, "covariance")
    return r


def _check_finite(values: NDArray[np.complex128], name: str) -> None:
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or infinite values")


def check_covariances(covariances: ArrayLike, num_elements: int | None = None) -> NDArray[np.complex128]:
    """Validate a batch of spatial covariances and return it as complex128.

    Args:
        covariances: shape ``(N, M, M)`` with ``N >= 1``, finite.
        num_elements: the ``M`` the caller expects, or None for any.

    Returns:
        shape ``(N, M, M)``, complex128.

    Raises:
        ValueError: naming the shape or the non-finite values.
    """
    r = np.asarray(covariances)
    if r.ndim != 3 or r.shape[0] < 1 or r.shape[1] < 1 or r.shape[1] != r.shape[2]:
        raise ValueError(f"covariances must have shape (N, M, M) with N, M >= 1, got shape {r.shape}")
    if num_elements is not None and r.shape[1] != num_elements:
        raise ValueError(
            f"covariances are {r.shape[1]} x {r.shape[2]} but the model has {num_elements} elements"
        )
    r = r.astype(np.complex128, copy=False)
    if not np.all(np.isfinite(r)):
        raise ValueError("covariances contain NaN or infinite values")
    return r
