{{ config(access='private') }}

{#- Disclosure control of every outcome cell (research design, privacy
    rules; macros/outcomes/disclosure.sql). One row per cell of
    int_outcome_cells with the reason it is withheld (null when shown):
      primary        a count (numerator, denominator or students) in 1..threshold-1
      extreme_rate   a rate of 0% or 100% over 10-39 students
      bottom_coded / top_coded   an extreme rate shown only as its band
      complementary  withheld so that no other withheld cell can be derived
    Complementary suppression runs var('complementary_suppression_rounds')
    rounds; each round hides, in every unsafe set, the shown member with a
    non-zero numerator (zeros do not protect anything), a part before a
    total, and the smallest denominator first. The data tests check the
    outcome. -#}

{%- set t = var('suppression_threshold') %}

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

members as materialized (
    {{ disclosure_set_members('coded') }}
),

cells_round_0 as materialized (
    select
        coded.cell_id,
        coded.numerator,
        coded.denominator,
        coded.students,
        coded.initial_reason is not null as is_hidden,
        coded.initial_reason as reason
    from coded
),
{%- for r in range(1, var('complementary_suppression_rounds') + 1) %}

    unsafe_round_{{ r }} as (
        {{ disclosure_unsafe_sets('members', 'cells_round_' ~ (r - 1)) }}
    ),

    picked_round_{{ r }} as (
        select distinct ranked.cell_id
        from (
            select
                members.cell_id,
                row_number() over (
                    partition by members.set_id
                    order by
                        cells_round_{{ r - 1 }}.numerator > 0 desc,
                        members.priority asc,
                        cells_round_{{ r - 1 }}.denominator asc,
                        cells_round_{{ r - 1 }}.numerator asc,
                        members.cell_id asc
                ) as pick_order
            from unsafe_round_{{ r }}
            inner join members
                on unsafe_round_{{ r }}.set_id = members.set_id
            inner join cells_round_{{ r - 1 }}
                on members.cell_id = cells_round_{{ r - 1 }}.cell_id
            where not cells_round_{{ r - 1 }}.is_hidden
        ) as ranked
        where ranked.pick_order = 1
    ),

    cells_round_{{ r }} as materialized (
        select
            cells_round_{{ r - 1 }}.cell_id,
            cells_round_{{ r - 1 }}.numerator,
            cells_round_{{ r - 1 }}.denominator,
            cells_round_{{ r - 1 }}.students,
            cells_round_{{ r - 1 }}.is_hidden or picked_round_{{ r }}.cell_id is not null as is_hidden,
            case
                when cells_round_{{ r - 1 }}.is_hidden then cells_round_{{ r - 1 }}.reason
                when picked_round_{{ r }}.cell_id is not null then 'complementary'
            end as reason
        from cells_round_{{ r - 1 }}
        left join picked_round_{{ r }}
            on cells_round_{{ r - 1 }}.cell_id = picked_round_{{ r }}.cell_id
    ),
{%- endfor %}

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
    inner join cells_round_{{ var('complementary_suppression_rounds') }} as last_round
        on coded.cell_id = last_round.cell_id
)

select * from final
