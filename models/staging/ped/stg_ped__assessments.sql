{{ year_keyed_incremental('school_year', 'ped_assessment') }}

with source as (
    select * from {{ source('ped', 'ped_assessment') }}
    {{ reloaded_years_filter(source('ped', 'ped_assessment'), 'school_year') }}
),

grade_levels as (
    select * from {{ ref('grade_levels') }}
),

cleaned as (
    select
        cast(source.school_year as integer) as school_year,
        {{ clean_text('source.student_id') }} as student_id,
        {{ clean_text('source.school_code') }} as school_code,
        {{ clean_code('source.test') }} as test,
        {{ clean_code('source.subject') }} as subject,
        {{ clean_code('source.grade_tested') }} as grade_tested,
        cast(source.scale_score as integer) as scale_score,
        cast(source.performance_level as integer) as performance_level,
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
        cleaned.test,
        cleaned.subject,
        cleaned.grade_tested,
        cleaned.scale_score,
        cleaned.performance_level,
        grade_levels.grade_order as grade_tested_order,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
    left join grade_levels
        on cleaned.grade_tested = grade_levels.grade_level
)

select * from final
