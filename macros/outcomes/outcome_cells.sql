-- noqa: disable=LT02,LT05
{#-
    The SQL of a domain's outcome cells (models/marts/intermediate/
    int_outcomes__<domain>.sql): the domain's measures aggregated from the
    de-identified spine (or the graduation cohort) per school year,
    comparison group and breakdown value, before any disclosure control.

    Every source row is repeated once per comparison group it belongs to,
    then summed with GROUPING SETS over the breakdowns, then unpivoted to one
    row per measure. Cells with a zero denominator are not produced.
-#}


{% macro _outcome_term(expr) -%}
    {%- if expr in ['days_present', 'days_enrolled', 'schools_attended', 'incidents'] -%}
        cast(coalesce({{ expr }}, 0) as decimal(18, 2))
    {%- else -%}
        case when {{ expr }} then 1 else 0 end
    {%- endif -%}
{%- endmacro %}

{% macro outcome_cells(domain) -%}
    {%- set measures = outcome_measures() | selectattr('domain', 'equalto', domain) | list -%}
    {%- set sources = measures | map(attribute='source') | unique | list -%}
    {%- set groups = comparison_groups() -%}
    {%- set breakdowns = outcome_breakdowns() -%}
with
{%- if 'spine' in sources %}
student_years as (
    select * from {{ ref('deid_student_years') }}
),
{%- endif %}
{%- if 'cohort' in sources %}
graduation_cohort as (
    select * from {{ ref('deid_graduation_cohort') }}
),
{%- endif %}

comparison_groups as (
    select * from (
        values
        {%- for g in groups %}
        ('{{ g.code }}'){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as comparison_groups (comparison_group)
),
{% for source in sources %}
{%- set source_measures = measures | selectattr('source', 'equalto', source) | list %}
{{ source }}_rows as (
    select
        {%- if source == 'spine' %}
        student_years.school_year,
        coalesce(
            student_years.grade_band,
            case when student_years.grade_level = 'PK' then 'PK' else 'UNKNOWN' end
        ) as grade_band_value,
        student_years.sex,
        student_years.race_ethnicity,
        coalesce(student_years.county_name, 'UNKNOWN') as county_name,
        {%- for m in source_measures %}
        {{ _outcome_term(m.numerator) }} as num_{{ m.measure }},
        {{ _outcome_term(m.denominator) }} as den_{{ m.measure }},
        {{ _outcome_term(m.students) }} as n_{{ m.measure }},
        {%- endfor %}
        {%- for g in groups %}
        {{ g.condition }} as in_{{ g.code | lower }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from student_years
        {%- else %}
        graduation_cohort.cohort_year as school_year,
        -- Every cohort member is a high-school student: no grade band breakdown.
        cast(null as varchar) as grade_band_value,
        graduation_cohort.sex,
        graduation_cohort.race_ethnicity,
        coalesce(graduation_cohort.county_name, 'UNKNOWN') as county_name,
        {%- for m in source_measures %}
        {{ _outcome_term(m.numerator) }} as num_{{ m.measure }},
        {{ _outcome_term(m.denominator) }} as den_{{ m.measure }},
        {{ _outcome_term(m.students) }} as n_{{ m.measure }},
        {%- endfor %}
        {%- for g in groups %}
        {{ g.condition }} as in_{{ g.code | lower }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from graduation_cohort
        {%- endif %}
),

{{ source }}_by_group as (
    select
        comparison_groups.comparison_group,
        {{ source }}_rows.*
    from {{ source }}_rows
    inner join comparison_groups
        on case comparison_groups.comparison_group
            {%- for g in groups %}
            when '{{ g.code }}' then {{ source }}_rows.in_{{ g.code | lower }}
            {%- endfor %}
        end
),

{{ source }}_aggregated as (
    select
        {{ source }}_by_group.school_year,
        {{ source }}_by_group.comparison_group,
        case
            {%- for b in breakdowns if b.column %}
            when grouping({{ source }}_by_group.{{ b.column }}) = 0 then '{{ b.breakdown }}'
            {%- endfor %}
            else 'total'
        end as breakdown,
        case
            {%- for b in breakdowns if b.column %}
            when grouping({{ source }}_by_group.{{ b.column }}) = 0 then {{ source }}_by_group.{{ b.column }}
            {%- endfor %}
            else 'total'
        end as breakdown_value,
        {%- for m in source_measures %}
        sum({{ source }}_by_group.num_{{ m.measure }}) as num_{{ m.measure }},
        sum({{ source }}_by_group.den_{{ m.measure }}) as den_{{ m.measure }},
        sum({{ source }}_by_group.n_{{ m.measure }}) as n_{{ m.measure }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ source }}_by_group
    group by grouping sets (
        ({{ source }}_by_group.school_year, {{ source }}_by_group.comparison_group),
        {%- for b in breakdowns if b.column %}
        ({{ source }}_by_group.school_year, {{ source }}_by_group.comparison_group, {{ source }}_by_group.{{ b.column }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    )
),

{{ source }}_cells as (
    {%- for m in source_measures %}
    select
        cast({{ source }}_aggregated.school_year as integer) as school_year,
        {{ source }}_aggregated.comparison_group,
        '{{ m.domain }}' as domain,
        '{{ m.measure }}' as measure,
        '{{ m.unit }}' as unit,
        {{ source }}_aggregated.breakdown,
        {{ source }}_aggregated.breakdown_value,
        cast({{ source }}_aggregated.num_{{ m.measure }} as double) as numerator,
        cast({{ source }}_aggregated.den_{{ m.measure }} as double) as denominator,
        cast({{ source }}_aggregated.n_{{ m.measure }} as bigint) as students
    from {{ source }}_aggregated
    where
        {{ source }}_aggregated.den_{{ m.measure }} > 0
        {%- if source == 'cohort' %}
        and {{ source }}_aggregated.breakdown <> 'grade_band'
        {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),
{% endfor %}
final as (
    {%- for source in sources %}
    select
        {{ source }}_cells.school_year,
        {{ source }}_cells.comparison_group,
        {{ source }}_cells.domain,
        {{ source }}_cells.measure,
        {{ source }}_cells.unit,
        {{ source }}_cells.breakdown,
        {{ source }}_cells.breakdown_value,
        {{ source }}_cells.numerator,
        {{ source }}_cells.denominator,
        {{ source }}_cells.students
    from {{ source }}_cells
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from final
{%- endmacro %}
