"""The errors of the SDR array sources (UHD, SoapySDR): one line each, naming the device args."""

from __future__ import annotations


class DeviceNotFoundError(RuntimeError):
    """No device answers the device args (or, for SoapySDR, its driver's module is not
    installed). The message is one line."""


class DeviceSetupError(RuntimeError):
    """The device was found but refused a setting (a channel it does not have, a rate out of its
    range, an LO source, a PPS that never came, ...). The message is one line."""
