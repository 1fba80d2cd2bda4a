"""Pairs of identities scored by the saved Splink model (at or above the review floor).

Scoring runs inside `dbt build` with the model `datashare train-linkage`
saved to $DATASHARE_WAREHOUSE/linkage/model.json (override:
DATASHARE_LINKAGE_MODEL). Splink runs on its own in-memory DuckDB connection
(see datashare.linkage.score).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    import os
    from pathlib import Path

    from datashare.linkage.score import load_model, load_priors, predict_pairs, scoring_connection
    from datashare.paths import warehouse_dir

    model_path = Path(os.environ.get("DATASHARE_LINKAGE_MODEL") or warehouse_dir() / "linkage" / "model.json")
    trained = load_model(model_path)
    priors = load_priors(model_path)
    identities = dbt.ref("int_linkage__identities").fetch_arrow_table()
    con = scoring_connection()
    try:
        con.register("identities_arrow", identities)
        con.execute("create table linkage_features as select * from identities_arrow")
        con.unregister("identities_arrow")
        del identities
        scored = predict_pairs(con, "linkage_features", trained, priors)
    finally:
        con.close()
    return scored
