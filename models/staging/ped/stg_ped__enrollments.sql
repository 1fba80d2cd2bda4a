{{ year_keyed_incremental('school_year', 'ped_enrollment') }}

with source as (
    select * from {{ source('ped', 'ped_enrollment') }}
    {{ reloaded_years_filter(source('ped', 'ped_enrollment'), 'school_year') }}
),

cleaned as (
    select
        cast(source.school_year as integer) as school_year,
        {{ clean_text('source.student_id') }} as student_id,
        {{ clean_text('source.district_code') }} as district_code,
        {{ clean_text('source.school_code') }} as school_code,
        cast(source.entry_date as date) as entry_date,
        cast(source.exit_date as date) as exit_date,
        {{ clean_code('source.exit_code') }} as exit_code,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.school_year,
        cleaned.student_id,
        cleaned.district_code,
        cleaned.school_code,
        cleaned.entry_date,
        cleaned.exit_date,
        cleaned.exit_code,
        cleaned.exit_date is null as is_enrolled_at_year_end,
        {{ is_before('cleaned.exit_date', 'cleaned.entry_date') }} as is_exit_before_entry,
        {{ is_outside_school_year('cleaned.entry_date', 'cleaned.school_year') }} as is_entry_outside_school_year,
        {{ is_outside_school_year('cleaned.exit_date', 'cleaned.school_year') }} as is_exit_outside_school_year,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
)

select * from final
