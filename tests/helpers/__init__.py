"""Helpers shared by the tests: synthetic signals, flowgraph runners, tiny MoD-DNN models, baseline data."""
