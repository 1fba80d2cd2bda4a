-- Caseload assignments as the access decision reads them: who is assigned to
-- which child, in which role, from when to when (both ends inclusive).
with caseloads as (
    select * from {{ ref('stg_cyfd__caseloads') }}
),

final as (
    select
        caseloads.staff_id,
        caseloads.staff_role,
        caseloads.person_id,
        caseloads.start_date,
        caseloads.end_date
    from caseloads
    where
        caseloads.staff_id is not null
        and caseloads.person_id is not null
        and caseloads.start_date is not null
)

select * from final
