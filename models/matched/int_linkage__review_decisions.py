"""Clerical review decisions (match / no match for a pair of ids), latest per pair.

Decisions about real children are identified data, so they are not a seed:
they are read from $DATASHARE_WAREHOUSE/linkage/review_decisions.csv
(override: DATASHARE_REVIEW_DECISIONS), which `datashare review-linkage
decide` appends to. No file means no decisions.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from datashare.linkage.review import decisions_sql, decisions_path

    return session.sql(decisions_sql(decisions_path()))
