with source as (
    select * from {{ source('cyfd', 'cyfd_person') }}
),

race_ethnicity_map as (
    select * from {{ ref('race_ethnicity_map') }}
),

cleaned as (
    select
        {{ clean_text('source.person_id') }} as person_id,
        {{ clean_text('source.first_name') }} as first_name,
        {{ clean_text('source.middle_name') }} as middle_name,
        {{ clean_text('source.last_name') }} as last_name,
        {{ clean_text('source.name_suffix') }} as name_suffix,
        cast(source.birth_date as date) as birth_date,
        {{ clean_code('source.sex') }} as sex,
        {{ clean_text('source.ssn') }} as ssn,
        {{ clean_code('source.race_ethnicity') }} as race_ethnicity,
        {{ name_std_columns('source.first_name', 'source.middle_name', 'source.last_name', 'source.name_suffix') }},
        {{ clean_ssn('source.ssn') }} as ssn_std,
        {{ identity_sex('source.sex') }} as sex_std,
        {{ is_before('cast(source._loaded_at as date)', 'cast(source.birth_date as date)') }}
            as is_birth_date_after_load,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.person_id,
        cleaned.first_name,
        cleaned.middle_name,
        cleaned.last_name,
        cleaned.name_suffix,
        cleaned.birth_date,
        cleaned.sex,
        cleaned.ssn,
        cleaned.race_ethnicity,
        cleaned.first_name_std,
        cleaned.middle_name_std,
        cleaned.last_name_std,
        cleaned.name_suffix_std,
        cleaned.last_name_tokens,
        cleaned.ssn_std,
        cleaned.sex_std,
        coalesce(race_ethnicity_map.race_ethnicity, 'UNKNOWN') as race_ethnicity_std,
        cleaned.is_birth_date_after_load,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
    left join race_ethnicity_map
        on
            race_ethnicity_map.system = 'CYFD'
            and cleaned.race_ethnicity = race_ethnicity_map.source_code
)

select * from final
