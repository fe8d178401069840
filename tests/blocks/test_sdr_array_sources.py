"""The UHD and SoapySDR array sources without a device: one-line errors (in Python and from a
flowgraph compiled by grcc), parameter checks, and the tuning, LO and clock plans handed to a
stand-in for the device."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import time

import pytest
import yaml
from gnuradio import bearing, uhd
from gnuradio.bearing.blocks import soapy_array_source as soapy_module
from gnuradio.bearing.blocks import uhd_array_source as uhd_module

ALL = uhd.ALL_MBOARDS
LOS = uhd.ALL_LOS
MISSING_USRPS = ("type=b200,serial=bearing-test-none", "addr=192.0.2.1")
"""Device args no USRP answers: a USB serial number, and a TEST-NET-1 address (RFC 5737),
which UHD probes over the network."""
MISSING_SOAPY = "driver=rtlsdr,serial=bearing-test-none"
SECONDS_TO_FAIL = 15.0
"""A missing device must be reported faster than this, seconds."""


class RecordingDevice:
    """Stands in for gr-uhd's ``usrp_source`` or gr-soapy's ``source``: records every call as
    ``(name, *arguments)``, UHD time specs as seconds; the device time is ``now_s``; a call
    named ``fails`` raises a multi-line RuntimeError, as UHD's do."""

    def __init__(self, now_s: float = 12.5, fails: str = "") -> None:
        self.calls: list[tuple] = []
        self.now_s = now_s
        self.fails = fails

    def get_time_now(self, mboard: int = 0) -> uhd.time_spec_t:
        self.calls.append(("get_time_now", mboard))
        return uhd.time_spec(self.now_s)

    def __getattr__(self, name: str):
        def record(*arguments):
            self.calls.append(
                (name, *(a.get_real_secs() if isinstance(a, uhd.time_spec_t) else a for a in arguments))
            )
            if name == self.fails:
                raise RuntimeError("RuntimeError: a UHD error\n    on several\n    lines\n")

        return record

    def names(self) -> list[str]:
        return [call[0] for call in self.calls]


def assert_one_line(error: BaseException, start: str) -> None:
    message = str(error)
    assert "\n" not in message, message
    assert message.startswith(start), message


# Without a device ---------------------------------------------------------------------------


@pytest.mark.parametrize("device_args", MISSING_USRPS)
def test_uhd_source_without_a_usrp_raises_one_line_quickly(device_args):
    start = time.monotonic()
    with pytest.raises(uhd_module.DeviceNotFoundError) as raised:
        bearing.uhd_array_source(device_args, num_channels=2)
    assert time.monotonic() - start < SECONDS_TO_FAIL
    assert isinstance(raised.value, RuntimeError)
    assert raised.value.__suppress_context__  # UHD's multi-line dump is not chained
    assert_one_line(raised.value, f"UHD: no USRP found for device args {device_args!r} (")


@pytest.mark.parametrize("device_args", [MISSING_SOAPY, "driver=bearing_no_such_driver", ""])
def test_soapy_source_without_a_device_or_its_module_raises_one_line_quickly(device_args):
    start = time.monotonic()
    with pytest.raises(soapy_module.DeviceNotFoundError) as raised:
        bearing.soapy_array_source(device_args, num_channels=2)
    assert time.monotonic() - start < SECONDS_TO_FAIL
    assert_one_line(raised.value, f"SoapySDR: no device found for device args {device_args!r} (")
    driver = soapy_module.driver_name(device_args)
    assert (f"module of driver {driver!r}" in str(raised.value)) == bool(driver)


# Parameter checks: a ValueError naming the parameter, before any device is looked for --------

UHD_INVALID = [
    ({"num_channels": 1}, "num_channels"),
    ({"num_channels": 2.5}, "num_channels"),
    ({"sample_rate_hz": 0.0}, "sample_rate_hz"),
    ({"frequency_hz": math.nan}, "frequency_hz"),
    ({"frequency_hz": "2.4e9"}, "frequency_hz"),
    ({"gain_db": -3.0}, "gain_db"),
    ({"device_args": None}, "device_args"),
    ({"subdev_spec": 0}, "subdev_spec"),
    ({"antenna": "RX1,RX2,RX1"}, "antenna"),
    ({"antenna": "RX1,"}, "antenna"),
    ({"clock_source": "mimo"}, "clock_source"),
    ({"time_source": "gps"}, "time_source"),
    ({"lo_source": "shared"}, "lo_source"),
    ({"num_channels": 4, "lo_source": "internal,companion"}, "lo_source"),
    ({"lo_export": "yes"}, "lo_export"),
]


@pytest.mark.parametrize(("kwargs", "name"), UHD_INVALID, ids=lambda p: str(p))
def test_uhd_source_checks_its_parameters_before_the_device(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}: ") as raised:
        bearing.uhd_array_source(**{"device_args": MISSING_USRPS[0], **kwargs})
    assert "\n" not in str(raised.value)


SOAPY_INVALID = [
    ({"num_channels": 0}, "num_channels"),
    ({"sample_rate_hz": -1e6}, "sample_rate_hz"),
    ({"frequency_hz": math.inf}, "frequency_hz"),
    ({"gain_db": None}, "gain_db"),
    ({"device_args": 3}, "device_args"),
    ({"antenna": ["RX"]}, "antenna"),
    ({"stream_args": None}, "stream_args"),
    ({"tune_args": 1.0}, "tune_args"),
    ({"other_settings": {}}, "other_settings"),
]


@pytest.mark.parametrize(("kwargs", "name"), SOAPY_INVALID, ids=lambda p: str(p))
def test_soapy_source_checks_its_parameters_before_the_device(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}: "):
        bearing.soapy_array_source(**{"device_args": MISSING_SOAPY, **kwargs})


# The plans (pure functions) -----------------------------------------------------------------


def test_per_channel_takes_nothing_one_name_or_one_name_per_channel():
    assert uhd_module.per_channel("", 3, "antenna") == ("", "", "")
    assert uhd_module.per_channel(" RX2 ", 3, "antenna") == ("RX2",) * 3
    assert uhd_module.per_channel("RX1, RX2", 2, "antenna") == ("RX1", "RX2")
    with pytest.raises(ValueError, match=r"^antenna: .* list of 3 \(one per channel\), got 'RX1,RX2'$"):
        uhd_module.per_channel("RX1,RX2", 3, "antenna")
    with pytest.raises(ValueError, match=r"^lo_source: shared is not one of internal, companion, external"):
        uhd_module.per_channel("internal,shared", 2, "lo_source", uhd_module.LO_SOURCES)


def test_sync_plan_latches_the_time_on_a_pps_edge_unless_the_time_is_internal():
    assert not uhd_module.sync_plan("internal", "internal").time_at_next_pps
    assert not uhd_module.sync_plan("external", "internal").time_at_next_pps
    assert uhd_module.sync_plan("internal", "external").time_at_next_pps
    assert uhd_module.sync_plan("gpsdo", "gpsdo").time_at_next_pps


def test_lo_plan_of_one_and_two_twinrx():
    one = uhd_module.lo_plan("internal,companion", False, 2)
    assert one == uhd_module.LoPlan(("internal", "companion"), None)
    two = uhd_module.lo_plan("internal,companion,external,external", True, 4)
    assert two == uhd_module.LoPlan(("internal", "companion", "external", "external"), 0)
    assert uhd_module.lo_plan("external", False, 4).sources == ("external",) * 4  # N310 on an external LO
    assert uhd_module.lo_plan("", False, 2).sources == ("", "")  # B210: the device's own LO


def test_tune_plan_tunes_every_channel_at_one_time_ahead_of_the_device():
    plan = uhd_module.tune_plan(12.5, 915e6, 3)
    assert plan == uhd_module.TunePlan(12.5 + uhd_module.COMMAND_LEAD_S, 915e6, (0, 1, 2))
    assert uhd_module.COMMAND_LEAD_S == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"^frequency_hz: "):
        uhd_module.tune_plan(12.5, -1.0, 3)


# The plans handed to a stand-in for the device ----------------------------------------------


def two_twinrx_plan() -> uhd_module.ArrayPlan:
    return uhd_module.array_plan(
        num_channels=4,
        sample_rate_hz=2e6,
        frequency_hz=1.2e9,
        gain_db=40,
        subdev_spec="A:0 A:1 B:0 B:1",
        antenna="RX1,RX2,RX1,RX2",
        clock_source="external",
        time_source="external",
        lo_source="internal,companion,external,external",
        lo_export=True,
    )


def test_configure_sets_references_time_channels_los_then_tunes_all_channels_at_once():
    usrp = RecordingDevice(now_s=12.5)
    uhd_module.configure(usrp, two_twinrx_plan())
    tuned_at = 12.5 + uhd_module.COMMAND_LEAD_S
    assert usrp.calls == [
        ("set_clock_source", "external", ALL),
        ("set_time_source", "external", ALL),
        ("set_subdev_spec", "A:0 A:1 B:0 B:1", ALL),
        ("set_samp_rate", 2e6),
        ("set_time_unknown_pps", 0.0),  # external time: latched on a PPS edge
        ("set_antenna", "RX1", 0),
        ("set_gain", 40.0, 0),
        ("set_antenna", "RX2", 1),
        ("set_gain", 40.0, 1),
        ("set_antenna", "RX1", 2),
        ("set_gain", 40.0, 2),
        ("set_antenna", "RX2", 3),
        ("set_gain", 40.0, 3),
        ("set_lo_export_enabled", True, LOS, 0),
        ("set_lo_source", "internal", LOS, 0),
        ("set_lo_source", "companion", LOS, 1),
        ("set_lo_source", "external", LOS, 2),
        ("set_lo_source", "external", LOS, 3),
        ("get_time_now", 0),
        ("set_command_time", pytest.approx(tuned_at), ALL),
        ("set_center_freq", 1.2e9, 0),
        ("set_center_freq", 1.2e9, 1),
        ("set_center_freq", 1.2e9, 2),
        ("set_center_freq", 1.2e9, 3),
        ("clear_command_time", ALL),
    ]


def test_internal_time_is_set_now_and_default_settings_are_left_to_the_device():
    usrp = RecordingDevice()
    plan = uhd_module.array_plan(2, 1e6, 2.4e9, 30.0, "", "", "internal", "internal", "", False)
    uhd_module.configure(usrp, plan)
    assert ("set_time_now", 0.0, ALL) in usrp.calls
    for absent in ("set_time_unknown_pps", "set_subdev_spec", "set_antenna", "set_lo_source"):
        assert absent not in usrp.names()
    assert "set_lo_export_enabled" not in usrp.names()


def test_a_failed_tuning_clears_the_command_time_and_reports_one_line():
    usrp = RecordingDevice(fails="set_center_freq")
    with pytest.raises(uhd_module.DeviceSetupError) as raised:
        uhd_module.tune(usrp, uhd_module.tune_plan(1.0, 2.4e9, 2))
    assert usrp.names() == ["set_command_time", "set_center_freq", "clear_command_time"]
    message = "UHD: tuning to 2400000000.0 Hz: RuntimeError: a UHD error on several lines"
    assert_one_line(raised.value, message)


def test_a_missing_pps_is_one_line():
    usrp = RecordingDevice(fails="set_time_unknown_pps")
    with pytest.raises(uhd_module.DeviceSetupError) as raised:
        uhd_module.set_device_time(usrp, uhd_module.sync_plan("gpsdo", "gpsdo"))
    assert_one_line(raised.value, "UHD: setting the time on a PPS edge of time source 'gpsdo': RuntimeError")


def test_a_refused_lo_source_names_the_channel_in_one_line():
    usrp = RecordingDevice(fails="set_lo_source")
    with pytest.raises(uhd_module.DeviceSetupError) as raised:
        uhd_module.apply_lo(usrp, uhd_module.lo_plan("companion", False, 2))
    assert_one_line(raised.value, "UHD: LO source 'companion' on channel 0: RuntimeError: a UHD error")


def test_soapy_configure_sets_every_channel_then_tunes_them():
    source = RecordingDevice()
    args = soapy_module.soapy_args("driver=lime", 2, 5e6, 433.9e6, 20.0, "LNAW", "", "", "")
    soapy_module.configure(source, args)
    assert source.calls == [
        ("set_sample_rate", 0, 5e6),
        ("set_antenna", 0, "LNAW"),
        ("set_gain", 0, 20.0),
        ("set_sample_rate", 1, 5e6),
        ("set_antenna", 1, "LNAW"),
        ("set_gain", 1, 20.0),
        ("set_frequency", 0, 433.9e6),
        ("set_frequency", 1, 433.9e6),
    ]
    refusing = RecordingDevice(fails="set_gain")
    with pytest.raises(soapy_module.DeviceSetupError) as raised:
        soapy_module.configure(refusing, args)
    assert_one_line(raised.value, "SoapySDR: gain 20.0 dB on channel 0: RuntimeError: a UHD error")


def test_soapy_driver_name_is_read_from_the_device_args():
    assert soapy_module.driver_name("driver=rtlsdr,serial=1") == "rtlsdr"
    assert soapy_module.driver_name("serial=1, driver = uhd") == "uhd"
    assert soapy_module.driver_name("serial=1") == ""


# A flowgraph compiled by grcc: the run stops with the block's line last ---------------------


def sdr_flowgraph(block_id: str, device_args: str, num_channels: int) -> dict:
    """A GRC flowgraph (no GUI): the source block into a Null Sink of its vector length."""

    def block(name: str, block_type: str, **parameters) -> dict:
        return {
            "name": name,
            "id": block_type,
            "parameters": {key: str(value) for key, value in parameters.items()},
            "states": {"coordinate": [8, 8], "rotation": 0, "state": "enabled"},
        }

    options = block("options", "options")
    options["parameters"] = {
        "id": "sdr_source",
        "generate_options": "no_gui",
        "output_language": "python",
        "title": "SDR array source",
        "run_options": "run",
        "run": "True",
    }
    blocks = [
        block("samp_rate", "variable", value="1e6"),
        block("source", block_id, device_args=repr(device_args), num_channels=num_channels),
        block("sink", "blocks_null_sink", type="complex", vlen=num_channels, num_inputs=1),
    ]
    return {
        "options": {key: options[key] for key in ("parameters", "states")},
        "blocks": blocks,
        "connections": [["source", "0", "sink", "0"]],
        "metadata": {"file_format": 1},
    }


@pytest.mark.parametrize(
    ("block_id", "device_args", "line"),
    [
        (
            "bearing_uhd_array_source",
            MISSING_USRPS[0],
            "DeviceNotFoundError: UHD: no USRP found for device args",
        ),
        (
            "bearing_soapy_array_source",
            MISSING_SOAPY,
            "DeviceNotFoundError: SoapySDR: no device found for device args",
        ),
    ],
    ids=["uhd", "soapy"],
)
def test_compiled_flowgraph_without_a_device_stops_with_the_blocks_line_last(
    block_id, device_args, line, tmp_path
):
    path = tmp_path / "sdr_source.grc"
    path.write_text(yaml.safe_dump(sdr_flowgraph(block_id, device_args, 3), sort_keys=False))
    compiled = subprocess.run(
        [sys.executable, shutil.which("grcc"), "-o", str(tmp_path), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, str(tmp_path / "sdr_source.py")], capture_output=True, text=True, timeout=120
    )
    assert time.monotonic() - start < SECONDS_TO_FAIL
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert line in lines[-1] and repr(device_args) in lines[-1], run.stderr
    assert "Device Address:" not in run.stderr and "no match" not in run.stderr  # no driver dump
