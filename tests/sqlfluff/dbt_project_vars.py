"""Project variables for sqlfluff's jinja templater (library_path in .sqlfluff).

The jinja templater's stand-in for dbt's var() returns a placeholder string,
which breaks models that compute with a variable (range(1, var('n') + 1)).
.sqlfluff defines a var() macro that returns the real value from
dbt_project.yml through get() below.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

PROJECT_FILE = Path(__file__).resolve().parents[2] / "dbt_project.yml"


@lru_cache(maxsize=1)
def _vars() -> dict:
    with PROJECT_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh).get("vars", {}) or {}


def get(name: str, default=None):
    """The value of project variable `name` (else `default`, else a placeholder)."""
    if name in _vars():
        return _vars()[name]
    return default if default is not None else name
