{{ config(access='private') }}

{#- Disclosure control of every outcome cell (research design, privacy
    rules; macros/outcomes/disclosure.sql). One row per cell of
    int_outcome_cells with the reason it is withheld (null when shown):
      primary        a count (numerator, denominator or students) in 1..threshold-1
      extreme_rate   a rate of 0% or 100% over 10-39 students
      bottom_coded / top_coded   an extreme rate shown only as its band
      complementary  withheld so that no other withheld cell can be derived
    Step 1 (denominator families): measures sharing a denominator
    population (e.g. every measure over all student-years) get one common
    pattern for their denominators, computed on the student counts alone,
    so that comparing two measures' shown denominators cannot reveal a small
    group. Step 2: complementary suppression per measure on top of it. Each
    step runs var('complementary_suppression_rounds') rounds (macro
    disclosure_rounds); the data tests check the outcome. -#}

{%- set t = var('suppression_threshold') %}
{%- set rounds = var('complementary_suppression_rounds') %}

with cells as (
    select * from {{ ref('int_outcome_cells') }}
),

coding_bands as (
    select * from {{ ref('disclosure_coding_bands') }}
),

banded as (
    select
        cells.*,
        coding_bands.bottom_max_rate,
        coding_bands.top_min_rate,
        coding_bands.bottom_label,
        coding_bands.top_label,
        coalesce(coding_bands.suppress_extremes_only, false) as suppress_extremes_only
    from cells
    left join coding_bands
        on
            cells.unit = 'proportion'
            and cells.students >= coding_bands.min_denominator
            and (coding_bands.max_denominator is null or cells.students <= coding_bands.max_denominator)
),

coded as (
    select
        banded.*,
        case
            when
                banded.students < {{ t }}
                or (banded.numerator > 0 and banded.numerator < {{ t }})
                or (banded.denominator > 0 and banded.denominator < {{ t }})
                then 'primary'
            when banded.suppress_extremes_only and (banded.rate <= 0 or banded.rate >= 1)
                then 'extreme_rate'
            when not banded.suppress_extremes_only and banded.rate <= banded.bottom_max_rate
                then 'bottom_coded'
            when not banded.suppress_extremes_only and banded.rate >= banded.top_min_rate
                then 'top_coded'
        end as initial_reason
    from banded
),

-- Step 1: one denominator pattern per family of measures sharing a
-- denominator population (families with a single measure need none).
shared_families as (
    select coded.denominator_family
    from coded
    where coded.denominator_family is not null
    group by coded.denominator_family
    having count(distinct coded.measure) > 1
),

family_cells as (
    select
        row_number() over (
            order by
                coded.denominator_family, coded.school_year, coded.comparison_group,
                coded.breakdown, coded.breakdown_value
        ) as cell_id,
        coded.denominator_family as measure,
        coded.school_year,
        coded.comparison_group,
        coded.breakdown,
        coded.breakdown_value,
        max(coded.students) as students
    from coded
    inner join shared_families
        on coded.denominator_family = shared_families.denominator_family
    group by
        coded.denominator_family,
        coded.school_year,
        coded.comparison_group,
        coded.breakdown,
        coded.breakdown_value
),

family_members as materialized (
    {{ disclosure_set_members('family_cells') }}
),

family_round_0 as materialized (
    select
        family_cells.cell_id,
        cast(family_cells.students as double) as numerator,
        cast(family_cells.students as double) as denominator,
        family_cells.students,
        family_cells.students < {{ t }} as is_hidden,
        case when family_cells.students < {{ t }} then 'primary' end as reason
    from family_cells
),

{{ disclosure_rounds('family', 'family_members', rounds) }}

family_hidden as (
    select
        family_cells.measure as denominator_family,
        family_cells.school_year,
        family_cells.comparison_group,
        family_cells.breakdown,
        family_cells.breakdown_value
    from family_cells
    inner join family_round_{{ rounds }}
        on family_cells.cell_id = family_round_{{ rounds }}.cell_id
    where family_round_{{ rounds }}.is_hidden
),

-- Step 2: complementary suppression per measure.
members as materialized (
    {{ disclosure_set_members('coded') }}
),

cell_round_0 as materialized (
    select
        coded.cell_id,
        coded.numerator,
        coded.denominator,
        coded.students,
        coded.initial_reason is not null or family_hidden.denominator_family is not null as is_hidden,
        coalesce(
            coded.initial_reason,
            case when family_hidden.denominator_family is not null then 'complementary' end
        ) as reason
    from coded
    left join family_hidden
        on
            coded.denominator_family = family_hidden.denominator_family
            and coded.school_year = family_hidden.school_year
            and coded.comparison_group = family_hidden.comparison_group
            and coded.breakdown = family_hidden.breakdown
            and coded.breakdown_value = family_hidden.breakdown_value
),

{{ disclosure_rounds('cell', 'members', rounds) }}

final as (
    select
        coded.cell_id,
        coded.school_year,
        coded.comparison_group,
        coded.domain,
        coded.measure,
        coded.unit,
        coded.breakdown,
        coded.breakdown_value,
        coded.numerator,
        coded.denominator,
        coded.students,
        coded.rate,
        coded.ci_low,
        coded.ci_high,
        coded.bottom_label,
        coded.top_label,
        last_round.is_hidden,
        last_round.reason as suppression_reason
    from coded
    inner join cell_round_{{ rounds }} as last_round
        on coded.cell_id = last_round.cell_id
)

select * from final
