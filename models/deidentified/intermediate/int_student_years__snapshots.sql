{{ config(access='private', schema='matched') }}

{#- One row per linked person (person_key) and school year with a PED
    snapshot: the demographics of the person's latest snapshot of the year
    and the special-services flags pooled over every snapshot and id. -#}

with snapshots as (
    select * from {{ ref('stg_ped__student_snapshots') }}
),

person_xref as (
    select * from {{ ref('person_xref') }}
),

race_ethnicity_map as (
    select * from {{ ref('race_ethnicity_map') }}
),

grade_levels as (
    select * from {{ ref('grade_levels') }}
),

snapshot_order as (
    select * from (
        values ('40D', 1), ('80D', 2), ('120D', 3), ('EOY', 4)
    ) as snapshot_order (snapshot, snapshot_rank)  -- noqa: AL05
),

linked as (
    select
        {{ ped_person_key('person_xref.person_key', 'snapshots.student_id') }} as person_key,
        snapshots.school_year,
        snapshots.student_id,
        snapshots.district_code,
        snapshots.birth_date,
        snapshots.gender,
        case
            when snapshots.hispanic = 'Y' then 'HISPANIC'
            else coalesce(snapshots.race, 'UNKNOWN')
        end as race_source_code,
        snapshots.grade_level,
        snapshots.special_ed = 'Y' as is_special_ed,
        snapshots.gifted = 'Y' as is_gifted,
        snapshots.english_learner = 'Y' as is_english_learner,
        snapshots.section_504 = 'Y' as is_section_504,
        coalesce(snapshot_order.snapshot_rank, 0) as snapshot_rank,
        coalesce(grade_levels.grade_order, -99) as grade_order
    from snapshots
    left join person_xref
        on
            person_xref.system = 'PED'
            and snapshots.student_id = person_xref.system_id
    left join snapshot_order
        on snapshots.snapshot = snapshot_order.snapshot
    left join grade_levels
        on snapshots.grade_level = grade_levels.grade_level
),

pooled as (
    select
        linked.person_key,
        linked.school_year,
        coalesce(bool_or(linked.is_special_ed), false) as is_special_ed,
        coalesce(bool_or(linked.is_gifted), false) as is_gifted,
        coalesce(bool_or(linked.is_english_learner), false) as is_english_learner,
        coalesce(bool_or(linked.is_section_504), false) as is_section_504,
        -- Demographics of the latest snapshot (then the higher grade, then
        -- the id, so the choice is deterministic).
        arg_max(
            {
                'birth_date': linked.birth_date, 'gender': linked.gender,
                'race_source_code': linked.race_source_code, 'grade_level': linked.grade_level,
                'district_code': linked.district_code
            },
            {
                'snapshot_rank': linked.snapshot_rank,
                'grade_order': linked.grade_order,
                'student_id': linked.student_id
            }
        ) as latest
    from linked
    group by linked.person_key, linked.school_year
),

final as (
    select
        pooled.person_key,
        pooled.school_year,
        pooled.latest.birth_date,
        pooled.latest.gender as sex,
        coalesce(race_ethnicity_map.race_ethnicity, 'UNKNOWN') as race_ethnicity,
        pooled.latest.grade_level,
        pooled.latest.district_code,
        pooled.is_special_ed,
        pooled.is_gifted,
        pooled.is_english_learner,
        pooled.is_section_504
    from pooled
    left join race_ethnicity_map
        on
            race_ethnicity_map.system = 'PED'
            and pooled.latest.race_source_code = race_ethnicity_map.source_code
)

select * from final
