-- The caseload extract in force and the staleness limit (one row). A lookup
-- compares the request day with caseload_loaded_at (datashare.access.policy).
with caseloads as (
    select * from {{ ref('stg_cyfd__caseloads') }}
),

feed as (
    select
        max(caseloads._loaded_at) as caseload_loaded_at,
        max(caseloads._drop_id) as caseload_drop_id,
        count(*) as caseload_rows
    from caseloads
),

final as (
    select
        'cyfd_caseload' as feed_name,
        feed.caseload_loaded_at,
        feed.caseload_drop_id,
        feed.caseload_rows,
        cast({{ var('access_caseload_max_age_days') }} as integer) as max_age_days
    from feed
)

select * from final
