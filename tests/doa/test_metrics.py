"""Matching estimates to true bearings (numpy only)."""

from __future__ import annotations

import numpy as np
from gnuradio.bearing.doa.metrics import matched_errors_deg, truth_errors_deg


def test_truth_errors_follow_the_order_of_the_truth() -> None:
    errors = truth_errors_deg([31.0, -9.5, 70.0], [-10.0, 30.0])
    np.testing.assert_allclose(errors, [0.5, 1.0])
    matched, missed = matched_errors_deg([31.0, -9.5, 70.0], [-10.0, 30.0])
    np.testing.assert_allclose(matched, [1.0, 0.5])  # in the order of the estimates
    assert missed == 0


def test_truth_left_without_an_estimate_is_nan_and_counted_missed() -> None:
    errors = truth_errors_deg([29.0], [-10.0, 30.0, 50.0])
    assert np.isnan(errors[[0, 2]]).all() and errors[1] == 1.0
    assert matched_errors_deg([29.0], [-10.0, 30.0, 50.0])[1] == 2
    assert np.isnan(truth_errors_deg([], [5.0])).all()


def test_assignment_minimises_the_total_error_across_plus_minus_180() -> None:
    # The nearest pair first (179 to 178, 1 deg) would leave 176 to -179 (5 deg): 2 + 2 is less.
    errors = truth_errors_deg([179.0, 176.0], [-179.0, 178.0])
    np.testing.assert_allclose(errors, [2.0, 2.0])
