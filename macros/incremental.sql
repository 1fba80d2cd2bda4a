{#-
    Incremental PED staging (docs/incremental.md). PED resubmits whole school
    years (cohort years for the graduation cohort): the loader replaces the
    raw rows of each year present in a drop and stamps them with the load
    time (`_loaded_at`); years it did not touch keep their old stamp.

    A PED staging model is `incremental` with strategy delete+insert keyed on
    the year column. On an incremental run it reads only the years that have
    at least one raw row loaded after the newest row it already holds, and
    replaces exactly those years. Per-row models only: a model whose rows
    depend on other years (a window over years) must not use this.
-#}

{#- The model config shared by the year-keyed PED staging models. The
    post-hook is rendered when it runs (not at parse time). -#}
{% macro year_keyed_incremental(year_column, source_table) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=year_column,
        on_schema_change='fail',
        post_hook=["{{ drop_vanished_years('" ~ year_column ~ "', source('ped', '" ~ source_table ~ "')) }}"]
    ) }}
{%- endmacro %}

{#- A where clause for the source CTE: on an incremental run, only the
    years reloaded since this model was last built; otherwise nothing. -#}
{% macro reloaded_years_filter(source_relation, year_column) -%}
    {%- if is_incremental() %}
    where {{ year_column }} in (
        select reloaded.{{ year_column }}
        from {{ source_relation }} as reloaded
        where reloaded._loaded_at > (
            select coalesce(max(existing._loaded_at), cast('1900-01-01' as timestamp))
            from {{ this }} as existing
        )
    )
    {%- endif %}
{%- endmacro %}

{#- Years this model holds that the raw table no longer has (a raw table
    emptied and reloaded with fewer years) are deleted, so the incremental
    result always equals a full rebuild. -#}
{% macro drop_vanished_years(year_column, source_relation) -%}
    delete from {{ this }}
    where {{ year_column }} not in (
        select distinct cast(raw_years.{{ year_column }} as integer)
        from {{ source_relation }} as raw_years
    )
{%- endmacro %}

{#- dbt-duckdb 1.11.1 writes the batch of an incremental *Python* model to a
    permanent table `main.<model>__dbt_tmp<timestamp>` (py_write_table ignores
    `temporary`) and never drops it. Post-hook of such models: drop them. -#}
{% macro drop_python_temp_tables() -%}
    {%- set found = run_query(
        "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
        ~ "and starts_with(table_name, '" ~ this.identifier ~ "__dbt_tmp')"
    ) if execute else [] -%}
    {%- for row in found %}
    drop table if exists "{{ row[0] }}"."{{ row[1] }}";
    {%- endfor %}
    select 1
{%- endmacro %}
