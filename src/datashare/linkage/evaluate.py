"""`datashare evaluate-linkage --truth DIR/truth/person_xref.csv`: linkage quality against ground truth.

Pairwise: two ids (of any systems) form a true pair when the truth gives them
the same `true_id`, and a predicted pair when matched.person_xref gives them the
same `person_key`. Reported per system pair (AOC-CYFD, AOC-PED, CYFD-PED,
PED-PED, ...) and overall: true pairs, predicted pairs, true positives, false
positives, false negatives, precision, recall, F1. False positives and false
negatives are then counted by the noise categories of their two records
(truth/identity_noise.csv beside the truth file; 'none' when neither record
carries noise), and the first few of each are listed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Evaluation:
    by_system_pair: list[dict[str, Any]]
    overall: dict[str, Any]
    errors_by_category: list[dict[str, Any]]
    examples: list[dict[str, Any]] = field(default_factory=list)
    ids_missing_from_prediction: int = 0
    ids_missing_from_truth: int = 0
    #: the same figures over pairs of ids that both carry identifying items
    #: (ids seen only in activity tables, e.g. a graduation-cohort row of a
    #: student who left before the loaded years, cannot be linked by anyone)
    by_system_pair_identified: list[dict[str, Any]] = field(default_factory=list)
    overall_identified: dict[str, Any] = field(default_factory=dict)
    ids_without_identifying_items: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "by_system_pair": self.by_system_pair,
            "errors_by_category": self.errors_by_category,
            "examples": self.examples,
            "ids_missing_from_prediction": self.ids_missing_from_prediction,
            "ids_missing_from_truth": self.ids_missing_from_truth,
            "overall_identified": self.overall_identified,
            "by_system_pair_identified": self.by_system_pair_identified,
            "ids_without_identifying_items": self.ids_without_identifying_items,
        }


def _metrics(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"true_pairs": tp + fn, "predicted_pairs": tp + fp, "true_positives": tp,
            "false_positives": fp, "false_negatives": fn,
            "precision": round(precision, 6), "recall": round(recall, 6), "f1": round(f1, 6)}


def evaluate_relations(con, predicted: str, truth_csv: Path, noise_csv: Path | None = None,
                       examples: int = 10, identified: str | None = None) -> Evaluation:
    """Compare `predicted` (a relation on `con` with system, system_id, person_key) with the truth file.

    `identified`: optional relation (system_id_key) of the ids that carry
    identifying items; errors involving other ids get the category
    'no_identifying_items' and the *_identified figures leave them out.
    """
    truth_csv = Path(truth_csv)
    if not truth_csv.exists():
        raise FileNotFoundError(f"truth file {truth_csv} does not exist")
    con.execute(f"""
        create or replace temp table _truth as
        select cast(true_id as varchar) as true_id, upper(trim(system)) as system,
               trim(cast(system_id as varchar)) as system_id
        from read_csv('{truth_csv}', header = true, all_varchar = true)
    """)
    con.execute(f"""
        create or replace temp table _pred as
        select system, cast(system_id as varchar) as system_id, person_key from {predicted}
    """)
    missing_pred = con.execute(
        "select count(*) from _truth t anti join _pred p using (system, system_id)").fetchone()[0]
    missing_truth = con.execute(
        "select count(*) from _pred p anti join _truth t using (system, system_id)").fetchone()[0]
    con.execute("""
        create or replace temp table _both as
        select t.system, t.system_id, t.true_id, p.person_key
        from _truth t join _pred p using (system, system_id)
    """)
    pairs_sql = """
        select
            least(l.system, r.system) || '-' || greatest(l.system, r.system) as system_pair,
            l.system || ':' || l.system_id as key_l,
            r.system || ':' || r.system_id as key_r,
        from _both l join _both r
            on l.{col} = r.{col}
            and (l.system, l.system_id) < (r.system, r.system_id)
    """
    con.execute(f"create or replace temp table _true_pairs as {pairs_sql.format(col='true_id')}")
    con.execute(f"create or replace temp table _pred_pairs as {pairs_sql.format(col='person_key')}")
    con.execute("""
        create or replace temp table _pair_status as
        select coalesce(t.system_pair, p.system_pair) as system_pair,
               coalesce(t.key_l, p.key_l) as key_l, coalesce(t.key_r, p.key_r) as key_r,
               case when t.key_l is not null and p.key_l is not null then 'tp'
                    when p.key_l is not null then 'fp' else 'fn' end as status
        from _true_pairs t full join _pred_pairs p using (key_l, key_r)
    """)
    if identified:
        con.execute(f"create or replace temp table _identified as select distinct system_id_key as key from {identified}")
    else:
        con.execute("create or replace temp table _identified as select key_l as key from _pair_status "
                    "union select key_r from _pair_status")
    con.execute("""
        create or replace temp table _pair_status as
        select s.*, (s.key_l in (select key from _identified) and s.key_r in (select key from _identified))
            as both_identified
        from _pair_status s
    """)
    unidentified = con.execute(
        "select count(*) from _both where system || ':' || system_id not in (select key from _identified)"
    ).fetchone()[0]

    def figures(where: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        rows = con.execute(f"""
            select system_pair, count(*) filter (status = 'tp'), count(*) filter (status = 'fp'),
                   count(*) filter (status = 'fn')
            from _pair_status where {where} group by 1 order by 1
        """).fetchall()
        tot = [sum(r[i] for r in rows) for i in (1, 2, 3)]
        return ([{"system_pair": sp, **_metrics(tp, fp, fn)} for sp, tp, fp, fn in rows],
                {"system_pair": "ALL", **_metrics(*tot)})

    by_pair, overall = figures("true")
    by_pair_identified, overall_identified = figures("both_identified")

    if noise_csv is None:
        candidate = truth_csv.parent / "identity_noise.csv"
        noise_csv = candidate if candidate.exists() else None
    if noise_csv is not None and Path(noise_csv).exists():
        con.execute(f"""
            create or replace temp table _noise as
            select upper(trim(system)) || ':' || trim(system_id) as key,
                   list_filter(string_split(coalesce(noise, ''), ';'), x -> trim(x) <> '') as cats
            from read_csv('{noise_csv}', header = true, all_varchar = true)
        """)
    else:
        con.execute("create or replace temp table _noise (key varchar, cats varchar[])")
    con.execute("""
        create or replace temp table _errors as
        select s.system_pair, s.key_l, s.key_r, s.status,
               list_sort(list_distinct(list_concat(
                   coalesce(nl.cats, []), coalesce(nr.cats, []),
                   case when s.both_identified then [] else ['no_identifying_items'] end))) as cats
        from _pair_status s
        left join _noise nl on nl.key = s.key_l
        left join _noise nr on nr.key = s.key_r
        where s.status in ('fp', 'fn')
    """)
    cat_rows = con.execute("""
        select status, category, count(*) as pairs
        from (select status, unnest(case when len(cats) = 0 then ['none'] else cats end) as category
              from _errors)
        group by all order by status, pairs desc, category
    """).fetchall()
    by_cat = [{"error": "false_positive" if s == "fp" else "false_negative", "category": c, "pairs": n}
              for s, c, n in cat_rows]
    ex_rows = con.execute(f"""
        select status, system_pair, key_l, key_r, array_to_string(cats, ';') from (
            select *, row_number() over (partition by status order by system_pair, key_l, key_r) as rn
            from _errors) where rn <= {int(examples)} order by status, rn
    """).fetchall()
    ex = [{"error": "false_positive" if s == "fp" else "false_negative", "system_pair": sp,
           "left": kl, "right": kr, "categories": c or "none"} for s, sp, kl, kr, c in ex_rows]
    return Evaluation(by_pair, overall, by_cat, ex, missing_pred, missing_truth,
                      by_pair_identified, overall_identified, unidentified)


def evaluate_warehouse(database: Path, truth_csv: Path, noise_csv: Path | None = None,
                       examples: int = 10) -> Evaluation:
    """Evaluate matched.person_xref of a warehouse database against the truth file."""
    import duckdb

    database = Path(database)
    if not database.exists():
        raise FileNotFoundError(f"warehouse database {database} does not exist")
    con = duckdb.connect()
    try:
        con.execute(f"attach '{database}' as wh (read_only)")
        try:
            con.execute("select 1 from wh.matched.person_xref limit 1")
        except Exception as exc:
            raise RuntimeError(f"{database}: no matched.person_xref ({exc}); build the matched layer first") from exc
        identified = "(select distinct system_id_key from wh.matched.int_linkage__identities)"
        return evaluate_relations(con, "wh.matched.person_xref", truth_csv, noise_csv, examples, identified)
    finally:
        con.close()


def format_report(ev: Evaluation) -> str:
    lines = ["Pairwise linkage quality against ground truth", ""]
    header = f"{'system pair':<12}{'true':>9}{'pred':>9}{'TP':>9}{'FP':>7}{'FN':>7}{'precision':>11}{'recall':>9}{'F1':>9}"
    lines.append(header)
    for r in [*ev.by_system_pair, ev.overall]:
        lines.append(f"{r['system_pair']:<12}{r['true_pairs']:>9}{r['predicted_pairs']:>9}"
                     f"{r['true_positives']:>9}{r['false_positives']:>7}{r['false_negatives']:>7}"
                     f"{r['precision']:>11.4f}{r['recall']:>9.4f}{r['f1']:>9.4f}")
    if ev.ids_without_identifying_items:
        lines += ["", f"Among ids with identifying items ({ev.ids_without_identifying_items} ids carry none: "
                  "seen only in activity tables, they cannot be linked)", header]
        for r in [*ev.by_system_pair_identified, ev.overall_identified]:
            lines.append(f"{r['system_pair']:<12}{r['true_pairs']:>9}{r['predicted_pairs']:>9}"
                         f"{r['true_positives']:>9}{r['false_positives']:>7}{r['false_negatives']:>7}"
                         f"{r['precision']:>11.4f}{r['recall']:>9.4f}{r['f1']:>9.4f}")
    if ev.ids_missing_from_prediction or ev.ids_missing_from_truth:
        lines.append(f"ids in truth but not in person_xref: {ev.ids_missing_from_prediction}; "
                     f"in person_xref but not in truth: {ev.ids_missing_from_truth}")
    lines += ["", "Errors by cause (noise categories of the two records; a pair can count in several)"]
    for r in ev.errors_by_category:
        lines.append(f"  {r['error']:<15} {r['category']:<28} {r['pairs']:>7}")
    if ev.examples:
        lines += ["", "Examples"]
        for r in ev.examples:
            lines.append(f"  {r['error']:<15} {r['system_pair']:<9} {r['left']:<16} {r['right']:<16} {r['categories']}")
    return "\n".join(lines)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--truth", type=Path, required=True, help="truth/person_xref.csv of a generated drop")
    parser.add_argument("--noise", type=Path, default=None,
                        help="identity_noise.csv (default: beside the truth file)")
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="warehouse folder (default: $DATASHARE_WAREHOUSE or ./warehouse)")
    parser.add_argument("--examples", type=int, default=10, help="false positives/negatives to list")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")


def run(args: argparse.Namespace) -> int:
    from datashare.paths import DATABASE_FILE, warehouse_dir

    try:
        ev = evaluate_warehouse(warehouse_dir(args.warehouse) / DATABASE_FILE, args.truth, args.noise,
                                args.examples)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"evaluate-linkage: {exc}", file=sys.stderr)
        return 1
    print(format_report(ev))
    if args.json:
        args.json.write_text(json.dumps(ev.as_dict(), indent=2), encoding="utf-8")
    return 0
