"""Where things live: the project checkout, the warehouse folder, the database files.

The warehouse folder holds identified data and is configurable
(`DATASHARE_WAREHOUSE` or `--warehouse`) so that an agency can keep it outside
the checkout; the default is the git-ignored `warehouse/` folder of the project.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
SEEDS_DIR = PROJECT_DIR / "seeds"
WAREHOUSE_ENV = "DATASHARE_WAREHOUSE"
DATABASE_FILE = "datashare.duckdb"
PUBLISHED_DIR = "published"


def warehouse_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse folder: the override, else $DATASHARE_WAREHOUSE, else ./warehouse."""
    if override:
        return Path(override).resolve()
    env = os.environ.get(WAREHOUSE_ENV)
    return Path(env).resolve() if env else (PROJECT_DIR / "warehouse")


def database_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The identified warehouse DuckDB file (raw, staging, matched, deidentified, marts)."""
    return warehouse_dir(override) / DATABASE_FILE
