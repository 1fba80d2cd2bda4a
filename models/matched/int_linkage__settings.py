"""The linkage thresholds of src/datashare/linkage/settings.py, as one row for the SQL models.

Keeps the numbers in one place: SQL models read them from here instead of
repeating them.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    import pyarrow as pa

    from datashare.linkage import settings as S

    return pa.table({
        "auto_match_probability": [float(S.AUTO_MATCH_PROBABILITY)],
        "review_min_probability": [float(S.REVIEW_MIN_PROBABILITY)],
        "mutual_best_min_probability": [float(S.MUTUAL_BEST_MIN_PROBABILITY)],
    })
