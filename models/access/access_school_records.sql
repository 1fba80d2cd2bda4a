-- The case-level school record of each CYFD child linked to PED records: one
-- row per CYFD person id. Current district, school and grade and program
-- status come from the latest snapshot; enrollment, attendance and discipline
-- are for that snapshot's school year to date; the link's confidence is shown
-- (a review-band link is flagged, not hidden). Read only through
-- `datashare lookup`, which applies the access decision and audits.
with links as (
    select * from {{ ref('access_student_links') }}
),

latest as (
    select * from {{ ref('access_latest_snapshots') }}
),

enrollment_history as (
    select * from {{ ref('access_enrollment_history') }}
),

attendance_by_school as (
    select * from {{ ref('access_attendance_by_school') }}
),

discipline_incidents as (
    select * from {{ ref('access_discipline_incidents') }}
),

cohorts as (
    select * from {{ ref('stg_ped__graduation_cohort_members') }}
),

child_links as (
    select
        links.person_id,
        string_agg(distinct links.student_id, ',' order by links.student_id) as ped_student_ids,
        min(links.link_probability) as link_probability,
        max(case links.link_band when 'auto' then 1 when 'review' then 2 else 3 end) as link_band_rank,
        arg_min(
            links.link_method,
            case links.link_band when 'auto' then 1 when 'review' then 2 else 3 end * -10
            + coalesce(links.link_probability, 1)
        ) as link_method
    from links
    group by links.person_id
),

enrollment_summary as (
    select
        enrollment_history.person_id,
        count(*) as enrollment_stays,
        count(distinct enrollment_history.school_code) as schools_attended
    from enrollment_history
    group by enrollment_history.person_id
),

attendance_summary as (
    select
        attendance_by_school.person_id,
        sum(attendance_by_school.days_enrolled) as days_enrolled,
        sum(attendance_by_school.days_present) as days_present,
        sum(attendance_by_school.days_excused) as days_excused,
        sum(attendance_by_school.days_unexcused) as days_unexcused
    from attendance_by_school
    group by attendance_by_school.person_id
),

discipline_summary as (
    select
        discipline_incidents.person_id,
        count(*) as discipline_incidents,
        count(*) filter (where discipline_incidents.response = 'OUT_OF_SCHOOL_SUSPENSION')
            as out_of_school_suspensions,
        count(*) filter (where discipline_incidents.response = 'EXPULSION') as expulsions,
        sum(discipline_incidents.response_days) as discipline_response_days
    from discipline_incidents
    group by discipline_incidents.person_id
),

child_cohorts as (
    select
        links.person_id,
        cohorts.cohort_year,
        cohorts.outcome,
        cohorts.outcome_date,
        cohorts.years_to_outcome,
        row_number() over (
            partition by links.person_id
            order by cohorts.cohort_year desc, cohorts.outcome_date desc nulls last, cohorts.student_id asc
        ) as recency
    from links
    inner join cohorts
        on links.student_id = cohorts.student_id
),

latest_cohort as (
    select
        child_cohorts.person_id,
        child_cohorts.cohort_year,
        child_cohorts.outcome,
        child_cohorts.outcome_date,
        child_cohorts.years_to_outcome
    from child_cohorts
    where child_cohorts.recency = 1
),

final as (
    select
        latest.person_id,
        child_links.ped_student_ids,
        child_links.link_method,
        child_links.link_probability,
        case child_links.link_band_rank when 1 then 'auto' when 2 then 'review' else 'none' end as link_band,
        child_links.link_band_rank > 1 as is_low_confidence_link,
        latest.record_school_year,
        latest.record_snapshot,
        latest.is_current_school_year,
        latest.ped_latest_school_year,
        latest.ped_latest_snapshot,
        latest.ped_loaded_at,
        latest.current_district_code,
        latest.current_school_code,
        latest.current_grade_level,
        coalesce(enrollment_summary.enrollment_stays, 0) as enrollment_stays,
        coalesce(enrollment_summary.schools_attended, 0) as schools_attended,
        attendance_summary.days_enrolled,
        attendance_summary.days_present,
        attendance_summary.days_excused,
        attendance_summary.days_unexcused,
        round(
            (attendance_summary.days_excused + attendance_summary.days_unexcused)
            / nullif(attendance_summary.days_enrolled, 0),
            4
        ) as absence_rate,
        -- The project's definition (vars chronic_absence_share and
        -- chronic_absence_min_days_enrolled, macro is_absent_share_at_least),
        -- the same one the research marts use.
        case
            when attendance_summary.days_enrolled is null then null
            when attendance_summary.days_enrolled < {{ var('chronic_absence_min_days_enrolled') }}
                then 'TOO_FEW_DAYS_ENROLLED'
            when {{ is_absent_share_at_least(
                '(attendance_summary.days_excused + attendance_summary.days_unexcused)',
                'attendance_summary.days_enrolled',
                var('chronic_absence_share'),
            ) }} then 'CHRONICALLY_ABSENT'
            else 'NOT_CHRONICALLY_ABSENT'
        end as chronic_absence_status,
        coalesce(discipline_summary.discipline_incidents, 0) as discipline_incidents,
        coalesce(discipline_summary.out_of_school_suspensions, 0) as out_of_school_suspensions,
        coalesce(discipline_summary.expulsions, 0) as expulsions,
        coalesce(discipline_summary.discipline_response_days, 0) as discipline_response_days,
        latest.special_ed,
        latest.primary_disability,
        latest.section_504,
        latest.english_learner,
        latest.gifted,
        latest_cohort.cohort_year,
        latest_cohort.outcome as cohort_outcome,
        latest_cohort.outcome_date as cohort_outcome_date,
        latest_cohort.years_to_outcome as cohort_years_to_outcome
    from latest
    inner join child_links
        on latest.person_id = child_links.person_id
    left join enrollment_summary
        on latest.person_id = enrollment_summary.person_id
    left join attendance_summary
        on latest.person_id = attendance_summary.person_id
    left join discipline_summary
        on latest.person_id = discipline_summary.person_id
    left join latest_cohort
        on latest.person_id = latest_cohort.person_id
)

select * from final
