"""Pairs of identities scored by the saved Splink model (at or above the review floor).

Scoring runs inside `dbt build` with the model `datashare train-linkage`
saved to $DATASHARE_WAREHOUSE/linkage/model.json (override:
DATASHARE_LINKAGE_MODEL). Splink runs on its own in-memory DuckDB connection
(see datashare.linkage.score).

Incremental, all or nothing: every row carries the fingerprint of what it
was scored from (identities, saved model, scoring code;
score.scoring_fingerprint). When a build finds every stored row stamped with
the current fingerprint (a PED resubmission that changes attendance but no
identity), scoring again would give the same pairs, so the model appends no
rows and the table stays as it is; otherwise the stored pairs are deleted
and every pair is rescored (inside the model's transaction).
`dbt build --full-refresh` always rescores. docs/incremental.md.
"""

def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append", on_schema_change="append_new_columns")
    import pyarrow as pa

    from datashare.linkage.score import (load_model, load_priors, predict_pairs, saved_model_path,
                                         scoring_connection, scoring_fingerprint)
    from datashare.paths import warehouse_dir

    model_path = saved_model_path(warehouse_dir())
    identities_rel = dbt.ref("int_linkage__identities")
    count, row_hash = identities_rel.query(
        "identities", "select count(*), cast(sum(cast(hash(identities) as hugeint)) as varchar) from identities"
    ).fetchone()
    fingerprint = scoring_fingerprint(f"{count}:{row_hash}", model_path)

    if dbt.is_incremental:
        has_fingerprint = session.execute(
            "select count(*) from information_schema.columns where table_schema = ? and table_name = ? "
            "and column_name = 'input_fingerprint'", [dbt.this.schema, dbt.this.identifier]).fetchone()[0]
        if has_fingerprint:
            # Kept only if every stored row was scored from exactly these inputs.
            stored, unstamped = session.execute(
                "select min(input_fingerprint), count(*) filter (where input_fingerprint is distinct from ?) "
                f"from {dbt.this}", [fingerprint]).fetchone()
            if stored == fingerprint and unstamped == 0:
                print(f"int_linkage__scored_pairs: inputs unchanged (fingerprint {fingerprint[:12]}), pairs kept")
                return session.execute(f"select * from {dbt.this} where false").fetch_arrow_table()
        # Rescoring replaces every stored pair, including rows of a table built
        # before fingerprints existed (delete+insert alone would keep those).
        session.execute(f"delete from {dbt.this}")

    trained = load_model(model_path)
    priors = load_priors(model_path)
    identities = identities_rel.fetch_arrow_table()
    con = scoring_connection()
    try:
        con.register("identities_arrow", identities)
        con.execute("create table linkage_features as select * from identities_arrow")
        con.unregister("identities_arrow")
        del identities
        scored = predict_pairs(con, "linkage_features", trained, priors)
    finally:
        con.close()
    return scored.append_column("input_fingerprint", pa.array([fingerprint] * scored.num_rows, pa.string()))
