{{ config(access='private', schema='matched') }}

{#- One row per linked person and school year with an enrollment stay:
    distinct schools among the stays (re-entering a school counts once;
    pooled over all of the person's ids), dropout exit, and the district of
    the latest stay. -#}

with enrollments as (
    select * from {{ ref('stg_ped__enrollments') }}
),

person_xref as (
    select * from {{ ref('person_xref') }}
),

linked as (
    select
        {{ ped_person_key('person_xref.person_key', 'enrollments.student_id') }} as person_key,
        enrollments.school_year,
        enrollments.student_id,
        enrollments.school_code,
        enrollments.district_code,
        enrollments.entry_date,
        enrollments.exit_code
    from enrollments
    left join person_xref
        on
            person_xref.system = 'PED'
            and enrollments.student_id = person_xref.system_id
),

final as (
    select
        linked.person_key,
        linked.school_year,
        cast(count(distinct linked.school_code) as integer) as schools_attended,
        coalesce(bool_or(linked.exit_code = 'DROPOUT'), false) as is_dropout,
        arg_max(
            linked.district_code,
            { 'entry_date': linked.entry_date, 'school_code': linked.school_code, 'student_id': linked.student_id }
        ) as district_code
    from linked
    group by linked.person_key, linked.school_year
)

select * from final
