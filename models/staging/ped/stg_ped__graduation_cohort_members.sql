{{ year_keyed_incremental('cohort_year', 'ped_graduation_cohort') }}

with source as (
    select * from {{ source('ped', 'ped_graduation_cohort') }}
    {{ reloaded_years_filter(source('ped', 'ped_graduation_cohort'), 'cohort_year') }}
),

cleaned as (
    select
        cast(source.cohort_year as integer) as cohort_year,
        {{ clean_text('source.student_id') }} as student_id,
        {{ clean_text('source.district_code') }} as district_code,
        {{ clean_code('source.outcome') }} as outcome,
        cast(source.outcome_date as date) as outcome_date,
        cast(source.years_to_outcome as integer) as years_to_outcome,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.cohort_year,
        cleaned.student_id,
        cleaned.district_code,
        cleaned.outcome,
        cleaned.outcome_date,
        cleaned.years_to_outcome,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
)

select * from final
