"""Splink's input: one row per identity of CYFD, PED and AOC, with the compared features.

Training (`datashare train-linkage`, before the matched layer is built) and
scoring (the dbt Python model `int_linkage__identities`) both build the table
with `features_sql`, so the model is always scored on exactly the features it
was trained on.
"""

from __future__ import annotations

#: Identity models (staging) and the nickname seed, by role.
IDENTITY_MODELS = {
    "CYFD": "stg_cyfd__person_identities",
    "PED": "stg_ped__student_identities",
    "AOC": "stg_aoc__parties",
}
NICKNAME_SEED = "nicknames"

IDENTITY_COLUMNS = [
    "identity_id", "system", "system_id", "identity_source",
    "first_name", "middle_name", "last_name", "name_suffix",
    "first_name_std", "middle_name_std", "last_name_std", "name_suffix_std",
    "last_name_tokens", "birth_date", "sex", "ssn",
]


def features_sql(cyfd: str, ped: str, aoc: str, nicknames: str) -> str:
    """SELECT building the linkage features from the three identity relations."""
    cols = ", ".join(IDENTITY_COLUMNS)
    return f"""
with identities as (
    select {cols} from {cyfd}
    union all by name
    select {cols} from {ped}
    union all by name
    select {cols} from {aoc}
),

-- a nickname can stand for several names (JOE: JOSE, JOSEPH)
nicknames as (
    select
        upper(strip_accents(trim(nickname))) as nickname,
        min(upper(strip_accents(trim(canonical_name)))) as canonical_name,
        list_distinct(list(upper(strip_accents(trim(canonical_name))))) as canonical_names,
    from {nicknames}
    group by 1
),

cleaned as (
    select
        identity_id,
        system,
        system_id,
        system || ':' || system_id as system_id_key,
        identity_source,
        first_name,
        middle_name,
        last_name,
        name_suffix,
        nullif(trim(first_name_std), '') as first_name_std,
        nullif(trim(middle_name_std), '') as middle_name_std,
        nullif(trim(last_name_std), '') as last_name_std,
        name_suffix_std,
        list_filter(last_name_tokens, t -> t is not null and t <> '') as last_name_tokens,
        birth_date,
        sex,
        case when regexp_full_match(ssn, '[0-9]{{9}}') then ssn end as ssn,
    from identities
),

final as (
    select
        cleaned.*,
        coalesce(nicknames.canonical_name, cleaned.first_name_std) as first_name_canonical,
        case when cleaned.first_name_std is not null then
            list_distinct(list_concat([cleaned.first_name_std], coalesce(nicknames.canonical_names, [])))
        end as first_name_names,
        coalesce(cleaned.last_name_tokens[1], cleaned.last_name_std) as last_name_first_token,
        coalesce(cleaned.last_name_tokens[-1], cleaned.last_name_std) as last_name_last_token,
        replace(replace(cleaned.last_name_std, ' ', ''), '-', '') as last_name_joined,
        left(cleaned.first_name_std, 2) as first_name_prefix,
        left(cleaned.last_name_std, 2) as last_name_prefix,
        year(cleaned.birth_date) as birth_year,
        month(cleaned.birth_date) as birth_month,
        day(cleaned.birth_date) as birth_day,
        strftime(cleaned.birth_date, '%Y%m%d') as birth_date_text,
        right(cleaned.ssn, 4) as ssn_last4,
    from cleaned
    left join nicknames
        on cleaned.first_name_std = nicknames.nickname
)

select * from final
"""


def build_features_from_warehouse(con, database, table: str = "linkage_features") -> int:
    """Attach the warehouse read-only to `con` and build the features table in `con`.

    Returns the number of identities. Raises FileNotFoundError / a clear
    RuntimeError when the warehouse or its staging identity models are missing.
    """
    from pathlib import Path

    database = Path(database)
    if not database.exists():
        raise FileNotFoundError(f"warehouse database {database} does not exist; load a drop first")
    con.execute(f"attach '{database}' as wh (read_only)")
    have = {
        (r[0], r[1])
        for r in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'wh' "
            "union all select schema_name, view_name from duckdb_views() where database_name = 'wh'"
        ).fetchall()
    }
    needed = [("staging", m) for m in IDENTITY_MODELS.values()] + [("reference", NICKNAME_SEED)]
    missing = [f"{s}.{t}" for s, t in needed if (s, t) not in have]
    if missing:
        raise RuntimeError(
            f"{database}: missing {', '.join(missing)}; run `dbt seed` and "
            "`dbt build --select staging` before training the linkage"
        )
    sql = features_sql(
        *(f"wh.staging.{IDENTITY_MODELS[s]}" for s in ("CYFD", "PED", "AOC")),
        f"wh.reference.{NICKNAME_SEED}",
    )
    con.execute(f"create or replace table {table} as {sql}")
    con.execute("detach wh")
    return con.execute(f"select count(*) from {table}").fetchone()[0]
