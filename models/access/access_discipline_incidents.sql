-- School-year-to-date disciplinary incidents of each linked CYFD child and
-- the school's response: one row per child, student id and incident in the
-- record year.
with links as (
    select * from {{ ref('access_student_links') }}
),

latest as (
    select * from {{ ref('access_latest_snapshots') }}
),

discipline as (
    select * from {{ ref('stg_ped__discipline_incidents') }}
),

final as (
    select
        links.person_id,
        discipline.student_id,
        discipline.school_year,
        discipline.incident_id,
        discipline.school_code,
        discipline.incident_date,
        discipline.infraction,
        discipline.response,
        discipline.response_days
    from links
    inner join latest
        on links.person_id = latest.person_id
    inner join discipline
        on
            links.student_id = discipline.student_id
            and latest.record_school_year = discipline.school_year
)

select * from final
