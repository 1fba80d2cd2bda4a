"""An empty dbt `graph` for sqlfluff's jinja templater (library_path).

Macros that read dbt's graph (graph.nodes, graph.sources, graph.get(...))
render against an empty project graph when linted.
"""

from __future__ import annotations

nodes: dict = {}
sources: dict = {}
exposures: dict = {}
metrics: dict = {}


def get(key: str, default=None):
    return globals().get(key, default) if key in ("nodes", "sources", "exposures", "metrics") else default
