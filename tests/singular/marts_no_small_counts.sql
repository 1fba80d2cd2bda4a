{#- Primary suppression holds: no published numerator or denominator in
    1..(suppression_threshold - 1), and no rate shown over a denominator
    under the threshold. Returns the offending cells. -#}
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
    (published_outcomes.numerator > 0 and published_outcomes.numerator < {{ var('suppression_threshold') }})
    or (published_outcomes.denominator > 0 and published_outcomes.denominator < {{ var('suppression_threshold') }})
    or (
        published_outcomes.rate is not null
        and coalesce(published_outcomes.denominator, 0) < {{ var('suppression_threshold') }}
    )
