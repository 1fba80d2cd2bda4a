{#- Top/bottom coding holds: no shown proportion is at or beyond the coding
    band of its denominator (seed disclosure_coding_bands), and no rate of
    exactly 0% or 100% is shown over 10-39 students. Returns the offending
    cells. -#}
{{ config(tags=['privacy']) }}

with published_outcomes as (
    select * from {{ ref('published_outcomes') }}
),

measure_definitions as (
    select * from {{ ref('measure_definitions') }}
),

coding_bands as (
    select * from {{ ref('disclosure_coding_bands') }}
)

select
    published_outcomes.school_year,
    published_outcomes.comparison_group,
    published_outcomes.measure,
    published_outcomes.breakdown,
    published_outcomes.breakdown_value
from published_outcomes
inner join measure_definitions
    on published_outcomes.measure = measure_definitions.measure
inner join coding_bands
    on
        published_outcomes.denominator >= coding_bands.min_denominator
        and (coding_bands.max_denominator is null or published_outcomes.denominator <= coding_bands.max_denominator)
where
    measure_definitions.unit = 'proportion'
    and published_outcomes.measure <> 'attendance_rate'
    and published_outcomes.rate is not null
    and (
        (coding_bands.suppress_extremes_only and (published_outcomes.rate <= 0 or published_outcomes.rate >= 1))
        or (
            not coding_bands.suppress_extremes_only
            and (
                published_outcomes.rate <= coding_bands.bottom_max_rate
                or published_outcomes.rate >= coding_bands.top_min_rate
            )
        )
    )
