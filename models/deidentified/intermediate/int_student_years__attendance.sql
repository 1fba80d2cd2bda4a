{{ config(access='private', schema='matched') }}

{#- One row per linked person and school year with attendance rows: days
    summed over the year's schools and ids, and the absence flags of the
    research design (thresholds are project variables). -#}

with attendance as (
    select * from {{ ref('stg_ped__attendance') }}
),

person_xref as (
    select * from {{ ref('person_xref') }}
),

summed as (
    select
        {{ ped_person_key('person_xref.person_key', 'attendance.student_id') }} as person_key,
        attendance.school_year,
        cast(sum(coalesce(attendance.days_enrolled, 0)) as decimal(18, 2)) as days_enrolled,
        cast(sum(coalesce(attendance.days_present, 0)) as decimal(18, 2)) as days_present,
        cast(sum(coalesce(attendance.days_excused, 0) + coalesce(attendance.days_unexcused, 0)) as decimal(18, 2))
            as days_absent,
        cast(sum(coalesce(attendance.days_unexcused, 0)) as decimal(18, 2)) as days_unexcused
    from attendance
    left join person_xref
        on
            person_xref.system = 'PED'
            and attendance.student_id = person_xref.system_id
    group by {{ ped_person_key('person_xref.person_key', 'attendance.student_id') }}, attendance.school_year
),

final as (
    select
        summed.person_key,
        summed.school_year,
        summed.days_enrolled,
        summed.days_present,
        summed.days_absent,
        summed.days_unexcused,
        summed.days_enrolled >= {{ var('chronic_absence_min_days_enrolled') }} as is_chronic_absence_eligible,
        summed.days_enrolled >= {{ var('chronic_absence_min_days_enrolled') }}
        and {{ is_absent_share_at_least('summed.days_absent', 'summed.days_enrolled', var('chronic_absence_share')) }}
            as is_chronically_absent,
        summed.days_enrolled >= {{ var('chronic_absence_min_days_enrolled') }}
        and {{ is_absent_share_at_least('summed.days_absent', 'summed.days_enrolled', var('excessive_absence_share')) }}
            as is_excessively_absent,
        summed.days_unexcused >= {{ var('habitual_truancy_unexcused_days') }} as is_habitually_truant
    from summed
)

select * from final
