"""gr-bearing: direction finding (angle of arrival) with phase-coherent antenna arrays.

Algorithms live in plain modules (``array_model``, ``covariance``, ``estimators``, ...)
that take and return numpy arrays; the GNU Radio blocks re-exported here are thin
wrappers around them.
"""
