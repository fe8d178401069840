# gr-bearing: the two commands of the README, and what they stand on.
#   make demo   set up, build, install, replay the bundled capture and print bearings
#   make test   set up, build, install, lint, run the whole test suite
#   make live-demo  (optional) the simulated live array in the live QT flowgraph (needs a display)
#   make positioning-demo  (optional) three gNBs, two UEs on 5G SRS, MoD-DNN per gNB, on a live map
# Both are idempotent: each step is skipped when its inputs did not change.

VENV        := $(CURDIR)/.venv
PYTHON      := $(VENV)/bin/python
BUILD       := $(CURDIR)/build
DEMO        := examples/data/demo_ula4.sigmf-meta
SRS_DEMO    := examples/data/srs_ula4.sigmf-meta
DEB_PACKAGES := gnuradio gnuradio-dev cmake g++ make pkg-config pybind11-dev python3-dev python3-pybind11 python3-venv python3-yaml

export GRC_BLOCKS_PATH := $(VENV)/share/gnuradio/grc/blocks
# tests/doa/test_scg.py imports the package from this build tree as well as from the venv.
export BEARING_BUILD_DIR := $(BUILD)

.PHONY: demo test test-system live-demo positioning-demo install system venv grc lint clean

demo: install
	$(VENV)/bin/bearing estimate $(DEMO) --method mod-dnn --average 1024 --plot $(BUILD)/demo-spectrum.png
	$(VENV)/bin/bearing evaluate $(DEMO) --method music,mod-dnn --average 1024
	$(VENV)/bin/bearing estimate $(SRS_DEMO) --method music
	$(VENV)/bin/bearing evaluate $(SRS_DEMO) --method music,scg

test: install lint test-system
	$(PYTHON) -m pytest -q tests

# The map's test drives a real headless browser: Debian's chromium, its driver and selenium.
TEST_DEB_PACKAGES := chromium chromium-driver python3-selenium

test-system:
	@scripts/ensure-debian-packages.sh $(TEST_DEB_PACKAGES)

system:
	@scripts/ensure-debian-packages.sh $(DEB_PACKAGES)

venv: system $(VENV)/.requirements.stamp

$(VENV)/.requirements.stamp: requirements/constraints.txt requirements/runtime.txt requirements/test.txt
	test -x $(PYTHON) || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -c requirements/constraints.txt \
		-r requirements/runtime.txt -r requirements/test.txt
	touch $@

# The package installs into the venv's own site-packages, wherever its Python puts them.
$(BUILD)/CMakeCache.txt: CMakeLists.txt | venv
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(VENV) -DPYTHON_EXECUTABLE=$(PYTHON) \
		-DGR_PYTHON_DIR=$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')

install: venv $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j 2
	cmake --install $(BUILD) > /dev/null

# The simulated live array (new channel offsets, 1 s of noise source, one emitter sweeping)
# through the Window Selector, the Coherence Calibrator and MUSIC, in the QT GUI of examples/live_sim.grc.
live-demo: install
	@scripts/ensure-debian-packages.sh $(GRC_PACKAGES)
	grcc -o $(BUILD)/live-demo examples/live_sim.grc
	$(PYTHON) $(BUILD)/live-demo/live_sim.py

# Three gNBs with impaired arrays and two walking UEs on 5G SRS (scene_three_gnbs): the first run
# simulates the scene and each gNB's calibration sweep and trains its MoD-DNN model (about 6 min,
# `bearing bench positioning --srs`); then the gNBs replay at their own pace into the fusion,
# drawn at http://127.0.0.1:8080/ (Ctrl-C ends it).
POSITIONING := $(BUILD)/positioning

positioning-demo: install
	test -f $(POSITIONING)/models/gnb-3.pt || $(VENV)/bin/bearing bench positioning --srs --trials 10 --out $(POSITIONING)
	$(VENV)/bin/bearing locate --replay $(POSITIONING)/scene --method mod-dnn --models $(POSITIONING)/models \
		--fix-interval 0.02 --realtime --http 127.0.0.1:8080 --html $(POSITIONING)/map.html > $(POSITIONING)/fixes.jsonl

# GNU Radio Companion with the venv's packages and this module's blocks. GRC's window needs GTK 3
# and its introspection data, which an install without recommended packages leaves out.
GRC_PACKAGES := gir1.2-gtk-3.0 python3-gi-cairo

grc: install
	@scripts/ensure-debian-packages.sh $(GRC_PACKAGES)
	$(PYTHON) /usr/bin/gnuradio-companion $(GRC)

# ruff, and the import-linter contracts of pyproject.toml (the layers of docs/architecture.md),
# checked on the source tree, where the package is the top-level package `bearing`.
lint: venv
	$(VENV)/bin/ruff check python tests examples
	$(VENV)/bin/ruff format --check python tests examples
	PYTHONPATH=python $(VENV)/bin/lint-imports --no-logo --no-cache

clean:
	rm -rf $(BUILD)
