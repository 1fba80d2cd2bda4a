"""Shared fixtures: one small generated drop and one fully built warehouse per test session.

Building the warehouse takes a while, so tests that only read it share the
session-scoped `built_warehouse`; tests that change a warehouse make their own
in `tmp_path`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from datashare.research_key import DEMO_RESEARCH_KEY, KEY_ENV

SMALL_STUDENTS = 1500
SMALL_YEARS = "2022-2024"
SMALL_SEED = 7


@pytest.fixture(scope="session", autouse=True)
def _demo_research_key():
    """Generated data is built under the named demo key unless a test says otherwise."""
    old = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = DEMO_RESEARCH_KEY
    yield
    if old is None:
        os.environ.pop(KEY_ENV, None)
    else:
        os.environ[KEY_ENV] = old


@pytest.fixture(scope="session")
def small_generated(tmp_path_factory) -> Path:
    """A small synthetic drop: <dir>/drop/*.csv and <dir>/truth/*.csv."""
    from datashare.generate import generate_drop

    out = tmp_path_factory.mktemp("generated")
    generate_drop(out, students=SMALL_STUDENTS, years=SMALL_YEARS, seed=SMALL_SEED)
    return out


@pytest.fixture(scope="session")
def small_drop(small_generated) -> Path:
    return small_generated / "drop"


@pytest.fixture(scope="session")
def built_warehouse(small_drop, tmp_path_factory) -> Path:
    """The small drop loaded, linked, built (dbt models + tests) and published. Read only."""
    from datashare.pipeline import run_pipeline

    warehouse = tmp_path_factory.mktemp("warehouse")
    run_pipeline(small_drop, warehouse, target="test", quiet=True, log=lambda _msg: None)
    return warehouse
