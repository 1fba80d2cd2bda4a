-- noqa: disable=LT02,LT05
{#- SQL of a domain mart (models/marts/mart_<domain>.sql): the domain's rows
    of published_outcomes (already disclosure-controlled) side by side, one
    row per school year, measure, breakdown and breakdown value, with each
    comparison group's display value, rate, interval, denominator and gap to
    NOT_INVOLVED as columns. Withheld cells stay null. -#}
{% macro domain_mart(domain) -%}
    {%- set measures = outcome_measures() | selectattr('domain', 'equalto', domain) | map(attribute='measure') | list -%}
with published_outcomes as (
    select * from {{ ref('published_outcomes') }}
),

domain_rows as (
    select
        published_outcomes.school_year,
        published_outcomes.measure,
        published_outcomes.breakdown,
        published_outcomes.breakdown_value,
        published_outcomes.comparison_group,
        published_outcomes.display_value,
        published_outcomes.rate,
        published_outcomes.ci_low,
        published_outcomes.ci_high,
        published_outcomes.denominator,
        published_outcomes.gap_pp_vs_not_involved
    from published_outcomes
    where published_outcomes.measure in ({{ sql_list(measures) }})
),

final as (
    select
        domain_rows.school_year,
        domain_rows.measure,
        domain_rows.breakdown,
        domain_rows.breakdown_value,
        {%- for g in comparison_groups() %}
        {%- set p = g.code | lower %}
        max(case when domain_rows.comparison_group = '{{ g.code }}' then domain_rows.display_value end)
            as {{ p }}_display,
        max(case when domain_rows.comparison_group = '{{ g.code }}' then domain_rows.rate end) as {{ p }}_rate,
        max(case when domain_rows.comparison_group = '{{ g.code }}' then domain_rows.ci_low end) as {{ p }}_ci_low,
        max(case when domain_rows.comparison_group = '{{ g.code }}' then domain_rows.ci_high end) as {{ p }}_ci_high,
        max(case when domain_rows.comparison_group = '{{ g.code }}' then domain_rows.denominator end)
            as {{ p }}_denominator,
        max(case when domain_rows.comparison_group = '{{ g.code }}' then domain_rows.gap_pp_vs_not_involved end)
            as {{ p }}_gap_pp{% if not loop.last %},{% endif %}
        {%- endfor %}
    from domain_rows
    group by
        domain_rows.school_year,
        domain_rows.measure,
        domain_rows.breakdown,
        domain_rows.breakdown_value
)

select * from final
{%- endmacro %}
