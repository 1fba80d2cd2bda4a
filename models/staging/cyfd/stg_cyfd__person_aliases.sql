with source as (
    select * from {{ source('cyfd', 'cyfd_person_alias') }}
),

cleaned as (
    select
        {{ clean_text('source.person_id') }} as person_id,
        {{ clean_text('source.first_name') }} as first_name,
        {{ clean_text('source.last_name') }} as last_name,
        cast(source.birth_date as date) as birth_date,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

-- The contract gives aliases no key: an alias is its person, names and birth
-- date, and a repeated row of the same alias is kept once (its first line).
deduplicated as (
    select
        cleaned.person_id,
        cleaned.first_name,
        cleaned.last_name,
        cleaned.birth_date,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
    qualify row_number() over (
        partition by cleaned.person_id, cleaned.first_name, cleaned.last_name, cleaned.birth_date
        order by cleaned._line_number
    ) = 1
),

final as (
    select
        {{ surrogate_key([
            'deduplicated.person_id',
            'deduplicated.first_name',
            'deduplicated.last_name',
            'deduplicated.birth_date',
        ]) }} as alias_id,
        deduplicated.person_id,
        deduplicated.first_name,
        deduplicated.last_name,
        deduplicated.birth_date,
        {{ name_std_columns('deduplicated.first_name', none, 'deduplicated.last_name', none) }},
        deduplicated._drop_id,
        deduplicated._source_file,
        deduplicated._line_number,
        deduplicated._loaded_at
    from deduplicated
)

select * from final
