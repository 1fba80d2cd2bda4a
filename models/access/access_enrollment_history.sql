-- School-year-to-date enrollment history of each linked CYFD child: every
-- enrollment stay, under any of the child's student ids, in the record year.
with links as (
    select * from {{ ref('access_student_links') }}
),

latest as (
    select * from {{ ref('access_latest_snapshots') }}
),

enrollments as (
    select * from {{ ref('stg_ped__enrollments') }}
),

final as (
    select
        links.person_id,
        enrollments.student_id,
        enrollments.school_year,
        enrollments.district_code,
        enrollments.school_code,
        enrollments.entry_date,
        enrollments.exit_date,
        enrollments.exit_code
    from links
    inner join latest
        on links.person_id = latest.person_id
    inner join enrollments
        on
            links.student_id = enrollments.student_id
            and latest.record_school_year = enrollments.school_year
)

select * from final
