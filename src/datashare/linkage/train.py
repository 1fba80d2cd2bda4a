"""`datashare train-linkage`: estimate the linkage model on the loaded data and save it.

Training is a deliberate, recorded step. It reads the staging identity models
of the warehouse (read only), estimates the Splink model defined in
settings.py and writes, under the model folder ($DATASHARE_WAREHOUSE/linkage/):

- model.json                 the trained Splink model; `dbt build` scores with it
- match_weights.html / .png  the match-weights chart (one bar per comparison level)
- m_u_parameters.html        Splink's m and u chart
- parameters.csv             comparison, level, m, u, Bayes factor, match weight
- training_summary.json      when, on what, how long, with which thresholds

Splink 5 with DuckDB: tables are registered on the connection first
(`DuckDBAPI(connection=con).register(...)`), then `Linker([...], settings)`.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from datashare.linkage import settings as S
from datashare.linkage.features import build_features_from_warehouse

MODEL_FILE = "model.json"
FEATURES_TABLE = "linkage_features"


def _linker(con, table: str, model: dict[str, Any] | str):
    """A Splink linker over `table` of the DuckDB connection `con`."""
    import logging

    from splink import DuckDBAPI, Linker

    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.WARNING)
    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register(table, dataset_display_name="identities")
    return Linker(sdf, model, log_level=logging.WARNING)


def parameter_rows(model: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per comparison level of a saved model: m, u, Bayes factor, match weight."""
    rows = []
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            bf = (m / u) if (m is not None and u) else None
            rows.append({
                "comparison": comparison["output_column_name"],
                "level": level.get("label_for_charts", level["sql_condition"]),
                "m_probability": m,
                "u_probability": u,
                "bayes_factor": bf,
                "match_weight": math.log2(bf) if bf else None,
                "tf_adjustment_column": level.get("tf_adjustment_column") or "",
            })
    return rows


def _write_diagnostics(linker, model: dict[str, Any], model_dir: Path) -> None:
    rows = parameter_rows(model)
    with (model_dir / "parameters.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (model_dir / "match_weights.html").write_text(
        linker.visualisations.match_weights_chart().to_html(inline=False), encoding="utf-8")
    (model_dir / "m_u_parameters.html").write_text(
        linker.visualisations.m_u_parameters_chart().to_html(inline=False), encoding="utf-8")
    _plot_match_weights(rows, model, model_dir / "match_weights.png")


def _plot_match_weights(rows: list[dict[str, Any]], model: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['comparison']}: {r['level']}" for r in rows]
    weights = [r["match_weight"] if r["match_weight"] is not None else 0.0 for r in rows]
    prior = model["probability_two_random_records_match"]
    labels.insert(0, "prior (two random identities match)")
    weights.insert(0, math.log2(prior / (1 - prior)))
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(labels) + 1))
    colors = ["#4c72b0" if w >= 0 else "#c44e52" for w in weights]
    ax.barh(range(len(labels)), weights, color=colors)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("match weight (log2 Bayes factor)")
    ax.set_title("Linkage model: match weight of each comparison level")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def train_model(con, table: str, log: Callable[[str], None] = print) -> tuple[Any, dict[str, Any]]:
    """Estimate the model on the features table `table` of `con`; return (linker, model dict)."""
    linker = _linker(con, table, S.splink_settings())
    t0 = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(S.PRIOR_RULES, recall=S.PRIOR_RECALL)
    log(f"   prior estimated ({time.perf_counter() - t0:.1f}s)")
    linker.training.estimate_u_using_random_sampling(max_pairs=S.U_MAX_PAIRS, seed=1)
    log(f"   u estimated by random sampling ({time.perf_counter() - t0:.1f}s)")
    for rule in S.EM_PASSES:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=S.EM_MAX_PAIRS)
        except ValueError as exc:  # Splink refuses an m that underflowed to 0 (a level seen only in non-matches)
            if "below the minimum allowed" not in str(exc):
                raise
            raise RuntimeError(
                f"linkage training failed in the EM pass blocked on `{rule}`: {exc.args[0].split('. ')[0]}. "
                "The drop has too few identity pairs to estimate every comparison level (seen below about "
                "1,500 students a year); train on a larger drop and score this one with that saved model "
                "(`datashare pipeline DROP --no-train` after copying its linkage/ folder).") from None
        log(f"   EM pass blocked on `{rule.split(') and')[0].strip('(')}` ({time.perf_counter() - t0:.1f}s)")
    model = floor_m_probabilities(linker.misc.save_model_to_json())
    return _linker(con, table, model), model


def floor_m_probabilities(model: dict[str, Any], floor: float = S.M_PROBABILITY_FLOOR) -> dict[str, Any]:
    """Raise every trained m below `floor` to it and renormalise each comparison's m."""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"]
                  if not lv.get("is_null_level") and lv.get("m_probability") is not None]
        for lv in levels:
            lv["m_probability"] = max(lv["m_probability"], floor)
        total = sum(lv["m_probability"] for lv in levels)
        for lv in levels:
            lv["m_probability"] /= total
    return model


PRIORS_FILE = "system_pair_priors.json"


def system_pair_priors(con, table: str, global_prior: float) -> dict[str, float]:
    """Share of matching identity pairs per system pair ('AOC-PED', 'PED-PED', ...).

    Pairs agreeing exactly on first and last name and birth date, over the
    assumed recall of that rule, over all pairs of the two systems.
    """
    sizes = dict(con.execute(f"select system, count(*) from {table} group by 1").fetchall())
    hits = dict(con.execute(f"""
        select least(l.system, r.system) || '-' || greatest(l.system, r.system), count(*)
        from {table} l join {table} r
            on {S.PRIOR_RULE_SQL}
            and l.identity_id < r.identity_id
            and {S.PAIR_SCOPE}
        group by 1
    """).fetchall())
    priors = {}
    systems = sorted(sizes)
    for i, a in enumerate(systems):
        for b in systems[i:]:
            if a == b and a not in S.MULTI_ID_SYSTEMS:
                continue
            total = sizes[a] * (sizes[a] - 1) / 2 if a == b else sizes[a] * sizes[b]
            found = hits.get(f"{a}-{b}", 0)
            prior = found / S.PRIOR_RECALL / total if total and found else global_prior
            priors[f"{a}-{b}"] = min(max(prior, 1e-12), 0.5)
    return priors


def train_linkage(database: Path, model_dir: Path, log: Callable[[str], None] = print) -> str:
    """Train on the warehouse's identity models; save model + diagnostics in model_dir."""
    import duckdb

    t0 = time.perf_counter()
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        n = build_features_from_warehouse(con, database, FEATURES_TABLE)
        counts = dict(con.execute(
            f"select system, count(distinct system_id) from {FEATURES_TABLE} group by 1").fetchall())
        log(f"   {n} identities of {sum(counts.values())} ids ({counts})")
        if n < 10:
            raise RuntimeError(f"{database}: only {n} identities; too few to train a linkage model")
        linker, model = train_model(con, FEATURES_TABLE, log)
        tmp = model_dir / (MODEL_FILE + ".tmp")
        tmp.write_text(json.dumps(model, indent=2), encoding="utf-8")
        tmp.replace(model_dir / MODEL_FILE)
        _write_diagnostics(linker, model, model_dir)
        priors = system_pair_priors(con, FEATURES_TABLE, model["probability_two_random_records_match"])
        (model_dir / PRIORS_FILE).write_text(json.dumps(priors, indent=2), encoding="utf-8")
        log(f"   priors by system pair: " + ", ".join(f"{k} {v:.2e}" for k, v in priors.items()))
    finally:
        con.close()
    seconds = time.perf_counter() - t0
    summary = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "database": str(database),
        "identities": n,
        "ids_by_system": counts,
        "seconds": round(seconds, 1),
        "auto_match_probability": S.AUTO_MATCH_PROBABILITY,
        "review_min_probability": S.REVIEW_MIN_PROBABILITY,
        "probability_two_random_records_match": model["probability_two_random_records_match"],
        "system_pair_priors": priors,
    }
    (model_dir / "training_summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return f"model saved to {model_dir / MODEL_FILE} ({n} identities, {seconds:.1f}s)"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="warehouse folder (default: $DATASHARE_WAREHOUSE or ./warehouse)")
    parser.add_argument("--model-dir", type=Path, default=None,
                        help="where to save the model and diagnostics (default: <warehouse>/linkage)")


def run(args: argparse.Namespace) -> int:
    from datashare.paths import DATABASE_FILE, warehouse_dir

    warehouse = warehouse_dir(args.warehouse)
    try:
        print(train_linkage(warehouse / DATABASE_FILE, args.model_dir or warehouse / "linkage"))
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"train-linkage: {exc}", file=sys.stderr)
        return 1
    return 0
