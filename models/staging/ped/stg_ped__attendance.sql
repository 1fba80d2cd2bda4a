{{ year_keyed_incremental('school_year', 'ped_attendance') }}

with source as (
    select * from {{ source('ped', 'ped_attendance') }}
    {{ reloaded_years_filter(source('ped', 'ped_attendance'), 'school_year') }}
),

cleaned as (
    select
        cast(source.school_year as integer) as school_year,
        {{ clean_text('source.student_id') }} as student_id,
        {{ clean_text('source.school_code') }} as school_code,
        cast(source.days_enrolled as decimal(9, 2)) as days_enrolled,
        cast(source.days_present as decimal(9, 2)) as days_present,
        cast(source.days_excused as decimal(9, 2)) as days_excused,
        cast(source.days_unexcused as decimal(9, 2)) as days_unexcused,
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
        cleaned.school_code,
        cleaned.days_enrolled,
        cleaned.days_present,
        cleaned.days_excused,
        cleaned.days_unexcused,
        cleaned.days_excused + cleaned.days_unexcused as days_absent,
        coalesce(
            cleaned.days_present + cleaned.days_excused + cleaned.days_unexcused <> cleaned.days_enrolled,
            false
        ) as is_days_inconsistent,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
)

select * from final
