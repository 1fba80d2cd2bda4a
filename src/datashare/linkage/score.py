"""Scoring with the saved model, and constrained clustering into persons.

Called by the dbt Python models of models/matched (so scoring runs inside
`dbt build`) and by the tests and the benchmark directly.

Splink runs on its own in-memory DuckDB connection: dbt-duckdb hands Python
models a cursor wrapper that Splink does not accept (the DuckDB connection is
its `_cursor`), and Splink's many working tables should not land in the
warehouse file. The identities go in as Arrow, the scored pairs come out as Arrow.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from datashare.linkage import settings as S

COMPARISON_NAMES = [c["output_column_name"] for c in S.COMPARISONS]


class ModelMissingError(RuntimeError):
    pass


def load_model(model_path: Path) -> dict[str, Any]:
    model_path = Path(model_path)
    if not model_path.exists():
        raise ModelMissingError(
            f"no trained linkage model at {model_path}: run `datashare train-linkage` "
            "(the pipeline does it after the staging build) before building models/matched"
        )
    model = json.loads(model_path.read_text(encoding="utf-8"))
    # Scoring always uses the current blocking rules and retained columns of
    # settings.py with the trained parameters (m, u, prior) of the file.
    current = S.splink_settings()
    for key in ("blocking_rules_to_generate_predictions", "additional_columns_to_retain",
                "retain_matching_columns", "retain_intermediate_calculation_columns"):
        model[key] = current[key]
    return model


def scoring_connection(memory_limit: str = "2GB", threads: int = 2):
    import duckdb

    con = duckdb.connect()
    con.execute(f"set memory_limit = '{memory_limit}'")
    con.execute(f"set threads = {int(threads)}")
    con.execute("set preserve_insertion_order = false")
    return con


SCORING_CODE = ("score.py", "settings.py", "features.py", "train.py")


MODEL_ENV = "DATASHARE_LINKAGE_MODEL"  # overrides where the saved model is read from


def saved_model_path(warehouse: Path) -> Path:
    """The saved linkage model that scores the warehouse: $DATASHARE_LINKAGE_MODEL or <warehouse>/linkage/model.json."""
    from datashare.linkage.train import MODEL_FILE

    return Path(os.environ.get(MODEL_ENV) or Path(warehouse) / "linkage" / MODEL_FILE)


def update_with_saved_model(digest, model_path: Path) -> None:
    """Feed the saved model and its priors (their bytes, or a marker when absent) into a hash."""
    from datashare.linkage.train import PRIORS_FILE

    model_path = Path(model_path)
    for path in (model_path, model_path.parent / PRIORS_FILE):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"-")


def scoring_fingerprint(identities_digest: str, model_path: Path) -> str:
    """What the scored pairs are a function of, as one sha256.

    The identities (a digest of their rows), the saved model and priors, and
    the code that scores (this module, the settings, the features). Scoring
    again with the same fingerprint gives the same pairs, so a build whose
    fingerprint equals the stored one keeps the stored pairs (a PED
    resubmission that changes no identity does not re-link).
    """
    digest = hashlib.sha256(identities_digest.encode())
    update_with_saved_model(digest, model_path)
    here = Path(__file__).parent
    for name in SCORING_CODE:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def band_sql(probability: str) -> str:
    return (
        f"case when {probability} >= {S.AUTO_MATCH_PROBABILITY} then 'auto' "
        f"when {probability} >= {S.REVIEW_MIN_PROBABILITY} then 'review' else 'none' end"
    )


def load_priors(model_path: Path) -> dict[str, float]:
    """The priors per system pair saved beside the model (empty: use the model's one prior)."""
    from datashare.linkage.train import PRIORS_FILE

    path = Path(model_path).parent / PRIORS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _log2_odds(p: float) -> float:
    return math.log2(p / (1 - p))


def predict_pairs(con, features_table: str, model: dict[str, Any], priors: dict[str, float] | None = None):
    """Score the candidate pairs of `features_table` (on `con`); return an Arrow table.

    One row per scored pair of identities at or above SCORE_FLOOR_PROBABILITY:
    both identity ids and system ids, match weight and probability, band, and
    for each comparison its match weight (mw_*, term frequency included).
    The model's single prior is replaced by the prior of the pair's systems
    (`priors`, from training) when given.
    """
    from datashare.linkage.train import _linker

    priors = priors or {}
    base = _log2_odds(model["probability_two_random_records_match"])
    shifts = {k: _log2_odds(v) - base for k, v in priors.items()}
    floor_weight = _log2_odds(S.SCORE_FLOOR_PROBABILITY) - max([0.0, *shifts.values()])
    linker = _linker(con, features_table, model)
    pred = linker.inference.predict(threshold_match_weight=floor_weight, warning_mode="never")
    shift_sql = "case least(system_l, system_r) || '-' || greatest(system_l, system_r) " + " ".join(
        f"when '{k}' then {v!r}" for k, v in shifts.items()) + " else 0 end" if shifts else "0"
    cols = {c.unquote().name for c in pred.columns}
    per_comparison = []
    for name in COMPARISON_NAMES:
        tf = f" + coalesce(mw_tf_adj_{name}, 0)" if f"mw_tf_adj_{name}" in cols else ""
        per_comparison.append(f"mw_{name}{tf} as mw_{name}")
    sql = f"""
        with adjusted as (
            select *, match_weight + ({shift_sql}) as adjusted_weight from {pred.physical_name}
        ),
        scored as (
            select *, pow(2, adjusted_weight) / (1 + pow(2, adjusted_weight)) as adjusted_probability
            from adjusted
        )
        select
            identity_id_l,
            identity_id_r,
            system_l,
            system_id_l,
            system_r,
            system_id_r,
            adjusted_weight as match_weight,
            adjusted_probability as match_probability,
            {band_sql('adjusted_probability')} as match_band,
            {', '.join(per_comparison)}
        from scored
        where adjusted_probability >= {S.SCORE_FLOOR_PROBABILITY}
    """
    return con.execute(sql).fetch_arrow_table()


# ---------------------------------------------------------------------------
# Clustering
# ---------------------------------------------------------------------------

METHOD_RANK = {"clerical": 0, "deterministic": 1, "probabilistic": 2}


@dataclass(frozen=True)
class Edge:
    key_l: str  # 'SYSTEM:system_id'
    key_r: str
    probability: float | None
    method: str  # clerical | deterministic | probabilistic


def system_of(key: str) -> str:
    return key.split(":", 1)[0]


def person_key_for(members: Iterable[str]) -> str:
    """Stable person key: a hash of the smallest member id (no agency id in clear)."""
    return "PK" + hashlib.sha256(min(members).encode("utf-8")).hexdigest()[:20].upper()


def cluster(nodes: Iterable[str], edges: Iterable[Edge], cannot_link: Iterable[tuple[str, str]] = (),
            review_candidates: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Constrained greedy clustering of system ids into persons.

    Edges are accepted in order: clerical matches, deterministic links, links
    within a multi-id system (PED duplicates), then links between systems, each
    group by falling probability. An edge is refused when the merged person
    would hold two ids of a single-id system (CYFD, AOC), when it links two
    systems and both sides already hold PED ids (a CYFD child links to one PED
    person), or when a recorded 'no match' decision separates two members.
    Returns one dict per node: system_id_key, person_key, link_method,
    match_probability, match_band.
    """
    parent: dict[str, str] = {}
    members: dict[str, set[str]] = {}
    systems: dict[str, dict[str, int]] = {}
    for node in nodes:
        parent[node] = node
        members[node] = {node}
        systems[node] = {system_of(node): 1}
    blocked: dict[str, set[str]] = {}
    for a, b in cannot_link:
        blocked.setdefault(a, set()).add(b)
        blocked.setdefault(b, set()).add(a)

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def allowed(ra: str, rb: str, cross_system: bool) -> bool:
        sa, sb = systems[ra], systems[rb]
        for system in set(sa) & set(sb):
            if system not in S.MULTI_ID_SYSTEMS or cross_system:
                return False
        small, large = (ra, rb) if len(members[ra]) <= len(members[rb]) else (rb, ra)
        for m in members[small]:
            if blocked.get(m) and not blocked[m].isdisjoint(members[large]):
                return False
        return True

    def phase(e: Edge) -> tuple:
        within = system_of(e.key_l) == system_of(e.key_r)
        group = METHOD_RANK[e.method] if e.method != "probabilistic" else (2 if within else 3)
        return (group, -(e.probability or 0.0), e.key_l, e.key_r)

    best: dict[str, tuple[int, float, str]] = {}
    for e in sorted(edges, key=phase):
        if e.key_l not in parent or e.key_r not in parent:
            continue
        ra, rb = find(e.key_l), find(e.key_r)
        if ra != rb:
            if not allowed(ra, rb, system_of(e.key_l) != system_of(e.key_r)):
                continue
            if len(members[ra]) < len(members[rb]):
                ra, rb = rb, ra
            parent[rb] = ra
            members[ra] |= members.pop(rb)
            for system, n in systems.pop(rb).items():
                systems[ra][system] = systems[ra].get(system, 0) + n
        prob = 1.0 if e.probability is None else e.probability
        for k in (e.key_l, e.key_r):
            cand = (METHOD_RANK[e.method], -prob, e.method)
            if k not in best or cand < best[k]:
                best[k] = cand

    review = set(review_candidates)
    keys = {root: person_key_for(ms) for root, ms in members.items()}
    out = []
    for node in parent:
        root = find(node)
        if len(members[root]) > 1 and node in best:
            _, neg_prob, method = best[node]
            band = "review" if method == "clerical" else "auto"
            out.append({"system_id_key": node, "person_key": keys[root], "link_method": method,
                        "match_probability": -neg_prob, "match_band": band})
        else:
            out.append({"system_id_key": node, "person_key": keys[root], "link_method": "unlinked",
                        "match_probability": None,
                        "match_band": "review" if node in review else "none"})
    return out
