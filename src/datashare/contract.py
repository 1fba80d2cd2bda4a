"""The extract contract: one machine-readable definition of every agency file.

`contract/extract_contract.yml` (beside this module) is the project's copy of
the interface agreement. Everything that needs a file or column list reads it
through `load_contract()`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from datashare.paths import SEEDS_DIR

CONTRACT_PATH = Path(__file__).with_name("contract") / "extract_contract.yml"
TYPES = ("text", "code", "date", "integer", "decimal")
REPLACE_MODES = ("full", "school_year", "cohort_year")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""
    required: bool = False
    codes: tuple[str, ...] | None = None
    code_set: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    pii: bool = False

    @property
    def duckdb_type(self) -> str:
        return {
            "text": "VARCHAR",
            "code": "VARCHAR",
            "date": "DATE",
            "integer": "BIGINT",
            "decimal": "DECIMAL(9, 2)",
        }[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    agency: str
    file: str
    description: str
    replace: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def replace_key(self) -> str | None:
        """The column whose values a drop replaces (None: the whole table)."""
        return None if self.replace == "full" else self.replace


@dataclass(frozen=True)
class Contract:
    version: int
    code_sets: dict[str, tuple[str, ...]]
    tables: dict[str, Table]

    def by_file(self) -> dict[str, Table]:
        return {t.file: t for t in self.tables.values()}

    def table(self, name: str) -> Table:
        return self.tables[name]


def _seed_values(seed: str, column: str) -> tuple[str, ...]:
    path = SEEDS_DIR / f"{seed}.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        return tuple(row[column] for row in csv.DictReader(fh))


def _parse(raw: dict) -> Contract:
    code_sets: dict[str, tuple[str, ...]] = {}
    for name, values in raw["code_sets"].items():
        if isinstance(values, dict):
            code_sets[name] = _seed_values(values["seed"], values["column"])
        else:
            code_sets[name] = tuple(str(v) for v in values)
    tables: dict[str, Table] = {}
    for tname, t in raw["tables"].items():
        if t["replace"] not in REPLACE_MODES:
            raise ValueError(f"contract: table {tname}: replace must be one of {REPLACE_MODES}")
        cols = []
        for c in t["columns"]:
            if c["type"] not in TYPES:
                raise ValueError(f"contract: {tname}.{c['name']}: unknown type {c['type']!r}")
            code_set = c.get("codes")
            if c["type"] == "code" and not code_set:
                raise ValueError(f"contract: {tname}.{c['name']}: a code column needs a code set")
            cols.append(
                Column(
                    name=c["name"],
                    type=c["type"],
                    description=c.get("description", ""),
                    required=bool(c.get("required", False)),
                    codes=code_sets[code_set] if code_set else None,
                    code_set=code_set,
                    pattern=c.get("pattern"),
                    min=c.get("min"),
                    max=c.get("max"),
                    pii=bool(c.get("pii", False)),
                )
            )
        names = [c.name for c in cols]
        for k in t.get("primary_key", []):
            if k not in names:
                raise ValueError(f"contract: {tname}: primary key column {k} is not a column")
        tables[tname] = Table(
            name=tname,
            agency=t["agency"],
            file=t["file"],
            description=t["description"],
            replace=t["replace"],
            primary_key=tuple(t.get("primary_key", [])),
            columns=tuple(cols),
        )
    return Contract(version=int(raw["version"]), code_sets=code_sets, tables=tables)


@lru_cache(maxsize=1)
def load_contract() -> Contract:
    """The project's extract contract (parsed once per process)."""
    with CONTRACT_PATH.open(encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh))
