{{ config(access='private', schema='matched') }}

{#- One row per linked person and school year with a score: tested and
    proficient (performance level >= var proficient_min_performance_level)
    per subject. ELA and math pool NM-MSSA (grades 3-8) and SAT (grade 11);
    science is NM-ASR. With several scores in a subject the best counts. -#}

with assessments as (
    select * from {{ ref('stg_ped__assessments') }}
),

person_xref as (
    select * from {{ ref('person_xref') }}
),

linked as (
    select
        {{ ped_person_key('person_xref.person_key', 'assessments.student_id') }} as person_key,
        assessments.school_year,
        assessments.subject,
        assessments.test,
        assessments.performance_level
    from assessments
    left join person_xref
        on
            person_xref.system = 'PED'
            and assessments.student_id = person_xref.system_id
    where assessments.performance_level is not null
),

final as (
    select
        linked.person_key,
        linked.school_year,
        coalesce(bool_or(linked.subject = 'ELA' and linked.test in ('NM_MSSA', 'SAT')), false) as is_tested_ela,
        coalesce(bool_or(
            linked.subject = 'ELA' and linked.test in ('NM_MSSA', 'SAT')
            and linked.performance_level >= {{ var('proficient_min_performance_level') }}
        ), false) as is_proficient_ela,
        coalesce(bool_or(linked.subject = 'MATH' and linked.test in ('NM_MSSA', 'SAT')), false) as is_tested_math,
        coalesce(bool_or(
            linked.subject = 'MATH' and linked.test in ('NM_MSSA', 'SAT')
            and linked.performance_level >= {{ var('proficient_min_performance_level') }}
        ), false) as is_proficient_math,
        coalesce(bool_or(linked.subject = 'SCIENCE' and linked.test = 'NM_ASR'), false) as is_tested_science,
        coalesce(bool_or(
            linked.subject = 'SCIENCE' and linked.test = 'NM_ASR'
            and linked.performance_level >= {{ var('proficient_min_performance_level') }}
        ), false) as is_proficient_science
    from linked
    group by linked.person_key, linked.school_year
)

select * from final
