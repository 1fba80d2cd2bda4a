-- noqa: disable=LT02,LT05
{#-
    SQL of the identifier scan (tests/singular/marts_identifier_scan.sql):
    every column of every table in the de-identified and marts schemas,
    checked by name (identifier-like names, the pii-tagged columns of the
    sources), by type (no DATE/TIMESTAMP column: events become school years)
    and by value (SSN-shaped or 9-digit strings and integers, full dates,
    agency ids C########/P########/S######, AOC case numbers, names that
    appear in the raw extracts but are not words of the project's own
    vocabulary: codes, county names, and, given ids_relation, any agency
    record id value of the raw extracts). One row per finding with a count;
    values are never echoed, so a failure does not print an identifier.
-#}
{#- The identifier shapes the scan looks for by pattern (one place for the
    scan and for raw_record_ids, which leaves out what they already find). -#}
{% macro identifier_patterns() -%}
    {{ return({
        'ssn': '[0-9]{3}-?[0-9]{2}-?[0-9]{4}',
        'agency_id': '[CP][0-9]{8}|S[0-9]{6}',
        'case_number': '[A-Z]-[0-9]{3}-[A-Z]{2}-[0-9]{4}-[0-9]+',
    }) }}
{%- endmacro %}

{% macro identifier_scan(schemas, names_relation, ids_relation=none) -%}
    {%- set patterns = identifier_patterns() -%}
    {%- set ssn_pattern = patterns['ssn'] -%}
    {%- set agency_id_pattern = patterns['agency_id'] -%}
    {%- set case_number_pattern = patterns['case_number'] -%}
    {%- set forbidden_name_pattern = '(^|_)(first|middle|last|given|family|sur)_?name|name_suffix|birth|ssn|(^|_)(person|student|party|staff|case|report|placement|referral|supervision|incident|release|system)_(id|key|number)$|_date$|^dob$|address|phone' -%}
    {%- set pii_columns = [] -%}
    {%- set sources = graph.get('sources', {}) if graph is defined else {} -%}
    {%- for source in sources.values() -%}
        {%- for column in source.columns.values() -%}
            {%- if 'pii' in (column.tags or []) and column.name not in pii_columns -%}
                {%- do pii_columns.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set columns_query -%}
        select table_schema, table_name, column_name, upper(data_type) as data_type
        from information_schema.columns
        where table_catalog = current_database()
            and table_schema in ({{ sql_list(schemas) }})
        order by table_schema, table_name, ordinal_position
    {%- endset -%}
    {%- set columns = run_query(columns_query).rows if execute else [] -%}
with
-- Values looked up by equality (names of the raw extracts, their record ids)
-- in one hash join over every text value of the scanned tables, so the
-- lookup set is built once, not once per column.
lookup_values as (
    select distinct
        upper(trim(names_relation.name_value)) as lookup_value,
        'name from the raw extracts' as finding
    from {{ names_relation }} as names_relation
    where length(trim(names_relation.name_value)) >= 2
    {%- if ids_relation %}
    union
    select distinct
        upper(trim(ids_relation.id_value)) as lookup_value,
        'agency record id from the raw extracts' as finding
    from {{ ids_relation }} as ids_relation
    {%- endif %}
),

text_values as (
    select 'none' as table_name, 'none' as column_name, 'none' as text_value
    where false
    {%- for row in columns if row[3] in ('VARCHAR', 'TEXT', 'STRING') %}
    union all
    select '{{ row[0] ~ '.' ~ row[1] }}', '{{ row[2] }}', upper(trim(t.{{ adapter.quote(row[2]) }}))
    from {{ row[0] ~ '.' ~ row[1] }} as t
    where t.{{ adapter.quote(row[2]) }} is not null
    {%- endfor %}
),

value_findings as (
    select
        text_values.table_name,
        text_values.column_name,
        lookup_values.finding,
        count(*) as offending_rows
    from text_values
    inner join lookup_values on text_values.text_value = lookup_values.lookup_value
    group by text_values.table_name, text_values.column_name, lookup_values.finding
),

findings as (
    select value_findings.table_name, value_findings.column_name, value_findings.finding, value_findings.offending_rows
    from value_findings
    {%- for row in columns %}
    {%- set rel = row[0] ~ '.' ~ row[1] %}
    {%- set col = adapter.quote(row[2]) %}
    {%- if modules.re.search(forbidden_name_pattern, row[2].lower()) or row[2] in pii_columns %}
    union all
    select '{{ rel }}', '{{ row[2] }}', 'identifier column name', 1
    {%- endif %}
    {%- if row[3].startswith('DATE') or row[3].startswith('TIMESTAMP') or row[3].startswith('TIME') %}
    union all
    select '{{ rel }}', '{{ row[2] }}', 'date or time column', 1
    {%- elif row[3] in ('VARCHAR', 'TEXT', 'STRING') %}
    union all
    select '{{ rel }}', '{{ row[2] }}', scan.finding, count(*)
    from (
        select
            case
                when regexp_full_match(t.{{ col }}, '{{ ssn_pattern }}') then 'ssn-shaped or 9-digit id'
                when regexp_matches(t.{{ col }}, '(^|[^0-9])(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]') then 'full date'
                when regexp_matches(t.{{ col }}, '[0-9]{1,2}/[0-9]{1,2}/(19|20)[0-9]{2}') then 'full date'
                when regexp_full_match(t.{{ col }}, '{{ agency_id_pattern }}') then 'agency id'
                when regexp_matches(t.{{ col }}, '{{ case_number_pattern }}') then 'case number'
            end as finding
        from {{ rel }} as t
        where t.{{ col }} is not null
    ) as scan
    where scan.finding is not null
    group by scan.finding
    {%- elif row[3] in ('INTEGER', 'BIGINT', 'HUGEINT', 'UBIGINT') %}
    union all
    select '{{ rel }}', '{{ row[2] }}', '9-digit integer (student id shaped)', count(*)
    from {{ rel }} as t
    where t.{{ col }} between 100000000 and 999999999
    having count(*) > 0
    {%- endif %}
    {%- endfor %}
)

select * from findings
{%- endmacro %}

{#- Every value of the raw extracts' agency record id columns (each
    pii-tagged column named *_id or *_number of every dbt source) that the
    scan's patterns would not find, as `id_value`: the record ids the
    identifier scan looks for by value, whatever their format. -#}
{% macro raw_record_ids() -%}
    {%- set patterns = identifier_patterns() -%}
    select cast(null as varchar) as id_value
    where false
    {%- for src in (graph.get('sources', {}) if graph is defined else {}).values() %}
    {%- for column in src.columns.values() %}
    {%- if 'pii' in (column.tags or []) and modules.re.search('_(id|number)$', column.name) %}
    {%- set col = adapter.quote(column.name) %}
    union
    select distinct cast({{ col }} as varchar) as id_value
    from {{ source(src.source_name, src.name) }}
    -- what the scan's patterns find anyway (most ids: student, person, party and staff ids, case numbers) is
    -- left out here, so the set probed for every column is small
    where not (
        regexp_full_match(cast({{ col }} as varchar), '{{ patterns["ssn"] }}')
        or regexp_full_match(cast({{ col }} as varchar), '{{ patterns["agency_id"] }}')
        or regexp_matches(cast({{ col }} as varchar), '{{ patterns["case_number"] }}')
    )
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
{%- endmacro %}
