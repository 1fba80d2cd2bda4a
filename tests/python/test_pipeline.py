"""The pipeline's dbt invocations together build and test exactly what one `dbt build` would.

A full build runs dbt twice around linkage training (seeds and staging, then
the rest). dbt's selection rules decide which tests go with which invocation;
a test dropped from both (a privacy test reading a seed and a mart, say) would
silently never run. This lists the nodes each invocation selects, with dbt
itself, and compares them with a plain `dbt build`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from datashare.paths import PROJECT_DIR
from datashare.pipeline import BIN_DIR, FIRST_BUILD, SECOND_BUILD, dbt_env

RESOURCE_TYPES = ("model", "seed", "test", "unit_test", "snapshot")


def _selected(warehouse: Path, target_path: Path, selection: tuple[str, ...]) -> list[str]:
    types = [a for t in RESOURCE_TYPES for a in ("--resource-type", t)]
    env = dbt_env(warehouse, {"DBT_TARGET_PATH": str(target_path)})
    proc = subprocess.run([str(BIN_DIR / "dbt"), "ls", "--quiet", "--output", "name", *types, *selection,
                           "--project-dir", str(PROJECT_DIR)], cwd=PROJECT_DIR, env=env, text=True,
                          capture_output=True, check=True)
    return sorted(line.strip() for line in proc.stdout.splitlines() if line.strip())


def test_two_builds_select_every_node_of_one_build_once(built_warehouse, tmp_path):
    everything = _selected(built_warehouse, tmp_path, ())
    first = _selected(built_warehouse, tmp_path, FIRST_BUILD)
    second = _selected(built_warehouse, tmp_path, SECOND_BUILD)
    assert len(everything) > 300 and first and second
    assert not set(first) & set(second), "a node would run in both builds"
    assert sorted(first + second) == everything, (
        f"missing from both: {sorted(set(everything) - set(first) - set(second))[:10]}")
    # The privacy tests that read seeds and marts are among them, in the second build.
    assert {"marts_identifier_scan", "marts_top_bottom_coding"} <= set(second)
