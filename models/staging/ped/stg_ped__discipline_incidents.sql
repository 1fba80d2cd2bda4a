{{ year_keyed_incremental('school_year', 'ped_discipline') }}

with source as (
    select * from {{ source('ped', 'ped_discipline') }}
    {{ reloaded_years_filter(source('ped', 'ped_discipline'), 'school_year') }}
),

cleaned as (
    select
        cast(source.school_year as integer) as school_year,
        {{ clean_text('source.incident_id') }} as incident_id,
        {{ clean_text('source.student_id') }} as student_id,
        {{ clean_text('source.school_code') }} as school_code,
        cast(source.incident_date as date) as incident_date,
        {{ clean_code('source.infraction') }} as infraction,
        {{ clean_code('source.response') }} as response,
        cast(source.response_days as decimal(9, 2)) as response_days,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.school_year,
        cleaned.incident_id,
        cleaned.student_id,
        cleaned.school_code,
        cleaned.incident_date,
        cleaned.infraction,
        cleaned.response,
        cleaned.response_days,
        {{ is_outside_school_year('cleaned.incident_date', 'cleaned.school_year') }} as is_incident_outside_school_year,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
)

select * from final
