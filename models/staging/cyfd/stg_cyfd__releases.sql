with source as (
    select * from {{ source('cyfd', 'cyfd_release') }}
),

cleaned as (
    select
        {{ clean_text('source.release_id') }} as release_id,
        {{ clean_text('source.person_id') }} as person_id,
        {{ clean_code('source.signed_by') }} as signed_by,
        cast(source.signed_date as date) as signed_date,
        cast(source.expiration_date as date) as expiration_date,
        cast(source.revoked_date as date) as revoked_date,
        {{ clean_code('source.scope') }} as scope,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.release_id,
        cleaned.person_id,
        cleaned.signed_by,
        cleaned.signed_date,
        cleaned.expiration_date,
        cleaned.revoked_date,
        cleaned.scope,
        {{ is_before('cleaned.expiration_date', 'cleaned.signed_date') }} as is_expiration_before_signed,
        {{ is_before('cleaned.revoked_date', 'cleaned.signed_date') }} as is_revoked_before_signed,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
)

select * from final
