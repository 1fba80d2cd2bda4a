with source as (
    select * from {{ source('cyfd', 'cyfd_caseload') }}
),

cleaned as (
    select
        {{ clean_text('source.staff_id') }} as staff_id,
        {{ clean_code('source.staff_role') }} as staff_role,
        {{ clean_text('source.person_id') }} as person_id,
        cast(source.start_date as date) as start_date,
        cast(source.end_date as date) as end_date,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.staff_id,
        cleaned.staff_role,
        cleaned.person_id,
        cleaned.start_date,
        cleaned.end_date,
        cleaned.end_date is null as is_ongoing,
        {{ is_before('cleaned.end_date', 'cleaned.start_date') }} as is_end_before_start,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
)

select * from final
