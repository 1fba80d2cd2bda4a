with source as (
    select * from {{ source('aoc', 'aoc_party') }}
),

cleaned as (
    select
        {{ clean_text('source.party_id') }} as party_id,
        {{ clean_text('source.first_name') }} as first_name,
        {{ clean_text('source.middle_name') }} as middle_name,
        {{ clean_text('source.last_name') }} as last_name,
        {{ clean_text('source.name_suffix') }} as name_suffix,
        cast(source.birth_date as date) as birth_date,
        {{ clean_code('source.sex') }} as sex_code,
        {{ identity_sex('source.sex') }} as sex,
        {{ name_std_columns('source.first_name', 'source.middle_name', 'source.last_name', 'source.name_suffix') }},
        {{ is_before('cast(source._loaded_at as date)', 'cast(source.birth_date as date)') }}
            as is_birth_date_after_load,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

-- A party is its own identity (AOC sends one row per child party); the
-- identity columns are those shared with the other identity models.
final as (
    select
        'AOC:' || {{ surrogate_key(['cleaned.party_id']) }} as identity_id,
        'AOC' as system,
        cleaned.party_id as system_id,
        'party' as identity_source,
        cleaned.party_id,
        cleaned.first_name,
        cleaned.middle_name,
        cleaned.last_name,
        cleaned.name_suffix,
        cleaned.first_name_std,
        cleaned.middle_name_std,
        cleaned.last_name_std,
        cleaned.name_suffix_std,
        cleaned.last_name_tokens,
        cleaned.birth_date,
        cleaned.sex,
        cleaned.sex_code,
        cast(null as varchar) as ssn,
        cleaned.is_birth_date_after_load,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
)

select * from final
