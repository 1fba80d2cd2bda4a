-- Latest assessment result of each linked CYFD child per test and subject
-- (any school year, any of the child's student ids).
with links as (
    select * from {{ ref('access_student_links') }}
),

assessments as (
    select * from {{ ref('stg_ped__assessments') }}
),

child_results as (
    select
        links.person_id,
        assessments.student_id,
        assessments.school_year,
        assessments.school_code,
        assessments.test,
        assessments.subject,
        assessments.grade_tested,
        assessments.scale_score,
        assessments.performance_level,
        row_number() over (
            partition by links.person_id, assessments.test, assessments.subject
            order by assessments.school_year desc, assessments.grade_tested desc, assessments.student_id asc
        ) as recency
    from links
    inner join assessments
        on links.student_id = assessments.student_id
),

final as (
    select
        child_results.person_id,
        child_results.student_id,
        child_results.school_year,
        child_results.school_code,
        child_results.test,
        child_results.subject,
        child_results.grade_tested,
        child_results.scale_score,
        child_results.performance_level
    from child_results
    where child_results.recency = 1
)

select * from final
