{#- The record-level research extract is k-anonymous: every combination of
    its quasi-identifiers (age group, sex, race/ethnicity, county group,
    grade) within a school year holds at least var('governance_k') records.
    Returns the classes below k. -#}
{{ config(tags=['privacy']) }}

with research_extract as (
    select * from {{ ref('deid_research_extract') }}
)

select
    research_extract.school_year,
    research_extract.age_group,
    research_extract.sex,
    research_extract.race_ethnicity,
    research_extract.county_group,
    research_extract.grade_level,
    count(*) as class_size
from research_extract
group by
    research_extract.school_year,
    research_extract.age_group,
    research_extract.sex,
    research_extract.race_ethnicity,
    research_extract.county_group,
    research_extract.grade_level
having count(*) < {{ var('governance_k') }}
