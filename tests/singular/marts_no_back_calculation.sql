{#- No back-calculation: no shown (rate, denominator) pair implies a
    numerator of 1..(threshold - 1), and no gap to NOT_INVOLVED is shown
    next to a withheld NOT_INVOLVED rate (the gap and the group's rate
    would give it away). Returns the offending cells. -#}
{{ config(tags=['privacy']) }}

with published_outcomes as (
    select * from {{ ref('published_outcomes') }}
),

measure_definitions as (
    select * from {{ ref('measure_definitions') }}
),

implied as (
    select
        published_outcomes.*,
        published_outcomes.rate * published_outcomes.denominator
        / case when measure_definitions.unit = 'per_100' then 100.0 else 1.0 end as implied_numerator
    from published_outcomes
    inner join measure_definitions
        on published_outcomes.measure = measure_definitions.measure
    where published_outcomes.rate is not null and published_outcomes.denominator is not null
),

not_involved as (
    select * from published_outcomes
    where comparison_group = 'NOT_INVOLVED'
)

select
    implied.school_year,
    implied.comparison_group,
    implied.measure,
    implied.breakdown,
    implied.breakdown_value,
    'implied numerator' as problem
from implied
where implied.implied_numerator >= 0.5 and implied.implied_numerator < {{ var('suppression_threshold') }} - 0.5

union all

select
    published_outcomes.school_year,
    published_outcomes.comparison_group,
    published_outcomes.measure,
    published_outcomes.breakdown,
    published_outcomes.breakdown_value,
    'gap next to a withheld reference' as problem
from published_outcomes
left join not_involved
    on
        published_outcomes.school_year = not_involved.school_year
        and published_outcomes.measure = not_involved.measure
        and published_outcomes.breakdown = not_involved.breakdown
        and published_outcomes.breakdown_value = not_involved.breakdown_value
where
    published_outcomes.gap_pp_vs_not_involved is not null
    and (not_involved.rate is null or published_outcomes.rate is null)
