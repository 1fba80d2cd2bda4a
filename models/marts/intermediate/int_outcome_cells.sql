{{ config(access='private') }}

{#- Every outcome cell of every domain before disclosure control, with its
    rate and 95% Wilson interval. One row per school year, comparison
    group, measure, breakdown and breakdown value (cell_id numbers them).
    rate: a proportion (0-1) for proportion measures, the mean for mean
    measures, per 100 for per_100 measures. The interval is computed for
    proportions only; for attendance_rate (a ratio of days) it uses the
    number of students as n, since days of one student are not independent. -#}

with
{%- for d in outcome_domains() %}

    outcomes__{{ d.domain }} as (
        select * from {{ ref('int_outcomes__' ~ d.domain) }}
    ),
{%- endfor %}

unioned as (
    {%- for d in outcome_domains() %}
        select
            outcomes__{{ d.domain }}.school_year,
            outcomes__{{ d.domain }}.comparison_group,
            outcomes__{{ d.domain }}.domain,
            outcomes__{{ d.domain }}.measure,
            outcomes__{{ d.domain }}.unit,
            outcomes__{{ d.domain }}.breakdown,
            outcomes__{{ d.domain }}.breakdown_value,
            outcomes__{{ d.domain }}.numerator,
            outcomes__{{ d.domain }}.denominator,
            outcomes__{{ d.domain }}.students
        from outcomes__{{ d.domain }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

rated as (
    select
        unioned.*,
        case unioned.unit
            when 'per_100' then 100.0 * unioned.numerator / unioned.denominator
            else unioned.numerator / unioned.denominator
        end as rate
    from unioned
),

final as (
    select
        cast(row_number() over (
            order by
                rated.school_year, rated.measure, rated.comparison_group,
                rated.breakdown, rated.breakdown_value
        ) as bigint) as cell_id,
        rated.school_year,
        rated.comparison_group,
        rated.domain,
        rated.measure,
        rated.unit,
        rated.breakdown,
        rated.breakdown_value,
        rated.numerator,
        rated.denominator,
        rated.students,
        -- Measures with the same denominator population share one
        -- denominator suppression pattern (int_outcome_cells_disclosed).
        case rated.measure
            {%- for m in outcome_measures() %}
                when '{{ m.measure }}' then '{{ m.source }}:{{ m.denominator }}'
            {%- endfor %}
        end as denominator_family,
        rated.rate,
        case
            when rated.unit = 'proportion'
                then {{ wilson_low('rated.rate * rated.students', 'rated.students') }}
        end as ci_low,
        case
            when rated.unit = 'proportion'
                then {{ wilson_high('rated.rate * rated.students', 'rated.students') }}
        end as ci_high
    from rated
)

select * from final
