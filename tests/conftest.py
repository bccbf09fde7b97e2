"""Shared test setup: headless matplotlib, a fixed thread count, and the --runslow switch."""
import os

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
# Under pytest-xdist each worker gets one thread, so `-n 2` uses the two cores without oversubscribing.
torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else max(1, min(2, os.cpu_count() or 1)))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (full-budget work is `deepnotes check`)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
