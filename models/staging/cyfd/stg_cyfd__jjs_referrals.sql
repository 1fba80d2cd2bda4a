with source as (
    select * from {{ source('cyfd', 'cyfd_jjs_referral') }}
),

counties as (
    select * from {{ ref('nm_counties') }}
),

cleaned as (
    select
        {{ clean_text('source.referral_id') }} as referral_id,
        {{ clean_text('source.person_id') }} as person_id,
        cast(source.referral_date as date) as referral_date,
        {{ clean_code('source.offense_category') }} as offense_category,
        {{ clean_code('source.offense_level') }} as offense_level,
        {{ clean_code('source.disposition') }} as disposition,
        {{ clean_code('source.county_fips') }} as county_fips,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.referral_id,
        cleaned.person_id,
        cleaned.referral_date,
        cleaned.offense_category,
        cleaned.offense_level,
        cleaned.disposition,
        cleaned.county_fips,
        counties.county_name,
        counties.judicial_district,
        {{ is_before('cast(cleaned._loaded_at as date)', 'cleaned.referral_date') }} as is_referral_date_after_load,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
    left join counties
        on cleaned.county_fips = counties.county_fips
)

select * from final
