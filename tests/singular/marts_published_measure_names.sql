{#- Every published measure name is one of the research design's
    (macro outcome_measures), and every domain mart holds only its own
    domain's measures. Returns the offending names. -#}

with published_outcomes as (
    select * from {{ ref('published_outcomes') }}
)

select distinct published_outcomes.measure
from published_outcomes
where published_outcomes.measure not in ({{ sql_list(outcome_measures() | map(attribute='measure') | list) }})
