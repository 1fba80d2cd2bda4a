-- School-year-to-date attendance of each linked CYFD child by school: one
-- row per child, student id and school in the record year.
with links as (
    select * from {{ ref('access_student_links') }}
),

latest as (
    select * from {{ ref('access_latest_snapshots') }}
),

attendance as (
    select * from {{ ref('stg_ped__attendance') }}
),

final as (
    select
        links.person_id,
        attendance.student_id,
        attendance.school_year,
        attendance.school_code,
        attendance.days_enrolled,
        attendance.days_present,
        attendance.days_excused,
        attendance.days_unexcused
    from links
    inner join latest
        on links.person_id = latest.person_id
    inner join attendance
        on
            links.student_id = attendance.student_id
            and latest.record_school_year = attendance.school_year
)

select * from final
