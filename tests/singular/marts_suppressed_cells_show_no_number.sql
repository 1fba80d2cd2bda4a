{#- A withheld cell (suppression_reason set) carries null in every number
    column, and a shown cell shows all of them (the gap may be null when the
    NOT_INVOLVED cell is withheld). Returns the offending cells. -#}
{{ config(tags=['privacy']) }}

with published_outcomes as (
    select * from {{ ref('published_outcomes') }}
)

select
    published_outcomes.school_year,
    published_outcomes.comparison_group,
    published_outcomes.measure,
    published_outcomes.breakdown,
    published_outcomes.breakdown_value
from published_outcomes
where
    (
        published_outcomes.suppression_reason is not null
        and (
            published_outcomes.numerator is not null
            or published_outcomes.denominator is not null
            or published_outcomes.rate is not null
            or published_outcomes.ci_low is not null
            or published_outcomes.ci_high is not null
            or published_outcomes.gap_pp_vs_not_involved is not null
            or regexp_matches(published_outcomes.display_value, '[0-9]') and published_outcomes.suppression_reason
            not in ('bottom_coded', 'top_coded')
        )
    )
    or (
        published_outcomes.suppression_reason is null
        and (
            published_outcomes.numerator is null
            or published_outcomes.denominator is null
            or published_outcomes.rate is null
        )
    )
