{{ config(access='private', schema='matched') }}

{#- One row per linked person and school year with discipline rows:
    student-incidents (an incident counts once per person even if recorded
    under two of the person's ids) and the response flags. -#}

with discipline as (
    select * from {{ ref('stg_ped__discipline_incidents') }}
),

person_xref as (
    select * from {{ ref('person_xref') }}
),

final as (
    select
        {{ ped_person_key('person_xref.person_key', 'discipline.student_id') }} as person_key,
        discipline.school_year,
        cast(count(distinct discipline.incident_id) as integer) as incidents,
        coalesce(bool_or(discipline.response = 'OUT_OF_SCHOOL_SUSPENSION'), false) as has_out_of_school_suspension,
        coalesce(bool_or(discipline.response = 'EXPULSION'), false) as has_expulsion
    from discipline
    left join person_xref
        on
            person_xref.system = 'PED'
            and discipline.student_id = person_xref.system_id
    group by {{ ped_person_key('person_xref.person_key', 'discipline.student_id') }}, discipline.school_year
)

select * from final
