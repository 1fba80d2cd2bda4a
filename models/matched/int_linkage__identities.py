"""Splink's input: one row per identity (name/birth-date version) of every CYFD, PED and AOC id.

The features are built by datashare.linkage.features.features_sql, the same SQL
`datashare train-linkage` trains on.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from datashare.linkage.features import features_sql

    def relation_sql(rel):
        return f"({rel.sql_query()})"

    sql = features_sql(
        relation_sql(dbt.ref("stg_cyfd__person_identities")),
        relation_sql(dbt.ref("stg_ped__student_identities")),
        relation_sql(dbt.ref("stg_aoc__parties")),
        relation_sql(dbt.ref("nicknames")),
    )
    return session.sql(sql)
