{#- Complementary suppression holds in every published set that adds up to
    a published total (macro disclosure_set_members: the breakdown values of
    a group/year/measure against its total; the groups against STATEWIDE and
    their subgroups): the number of withheld cells is 0 or at least 2, and
    what the shown cells imply about the withheld ones (total minus shown
    parts) is 0 or at least the threshold. Recomputed from the published
    rows alone. Returns the unsafe sets. -#}
{{ config(tags=['privacy']) }}

with published_outcomes as (
    select * from {{ ref('published_outcomes') }}
),

cells as (
    select
        row_number() over () as cell_id,
        published_outcomes.school_year,
        published_outcomes.measure,
        published_outcomes.comparison_group,
        published_outcomes.breakdown,
        published_outcomes.breakdown_value,
        coalesce(published_outcomes.numerator, 0) as numerator,
        coalesce(published_outcomes.denominator, 0) as denominator,
        coalesce(published_outcomes.denominator, 0) as students,
        published_outcomes.suppression_reason is not null as is_hidden
    from published_outcomes
),

members as (
    {{ disclosure_set_members('cells') }}
),

unsafe as (
    {{ disclosure_unsafe_sets('members', 'cells') }}
)

select unsafe.set_id from unsafe
