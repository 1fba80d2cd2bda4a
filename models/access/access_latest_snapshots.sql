-- The latest PED snapshot of each linked CYFD child (over all of the child's
-- student ids): the school year and snapshot the case-level record reflects.
-- Its school year is the record year: enrollment, attendance and discipline
-- are reported for that school year to date.
with links as (
    select * from {{ ref('access_student_links') }}
),

snapshots as (
    select * from {{ ref('stg_ped__student_snapshots') }}
),

child_snapshots as (
    select
        links.person_id,
        snapshots.student_id,
        snapshots.school_year,
        snapshots.snapshot,
        snapshots.snapshot_order,
        snapshots.district_code,
        snapshots.school_code,
        snapshots.grade_level,
        snapshots.special_ed,
        snapshots.primary_disability,
        snapshots.section_504,
        snapshots.english_learner,
        snapshots.gifted,
        snapshots._loaded_at
    from links
    inner join snapshots
        on links.student_id = snapshots.student_id
),

ranked as (
    select
        child_snapshots.person_id,
        child_snapshots.student_id,
        child_snapshots.school_year,
        child_snapshots.snapshot,
        child_snapshots.district_code,
        child_snapshots.school_code,
        child_snapshots.grade_level,
        child_snapshots.special_ed,
        child_snapshots.primary_disability,
        child_snapshots.section_504,
        child_snapshots.english_learner,
        child_snapshots.gifted,
        child_snapshots._loaded_at,
        row_number() over (
            partition by child_snapshots.person_id
            order by
                child_snapshots.school_year desc,
                child_snapshots.snapshot_order desc,
                child_snapshots._loaded_at desc,
                child_snapshots.student_id asc
        ) as recency
    from child_snapshots
),

ped_latest as (
    select
        max(snapshots.school_year) as ped_latest_school_year,
        max_by(snapshots.snapshot, snapshots.school_year * 10 + snapshots.snapshot_order) as ped_latest_snapshot
    from snapshots
),

final as (
    select
        ranked.person_id,
        ranked.student_id as latest_student_id,
        ranked.school_year as record_school_year,
        ranked.snapshot as record_snapshot,
        ranked.school_year = ped_latest.ped_latest_school_year as is_current_school_year,
        ped_latest.ped_latest_school_year,
        ped_latest.ped_latest_snapshot,
        ranked._loaded_at as ped_loaded_at,
        ranked.district_code as current_district_code,
        ranked.school_code as current_school_code,
        ranked.grade_level as current_grade_level,
        ranked.special_ed,
        ranked.primary_disability,
        ranked.section_504,
        ranked.english_learner,
        ranked.gifted
    from ranked
    cross join ped_latest
    where ranked.recency = 1
)

select * from final
