with source as (
    select * from {{ source('cyfd', 'cyfd_ps_placement') }}
),

counties as (
    select * from {{ ref('nm_counties') }}
),

cleaned as (
    select
        {{ clean_text('source.placement_id') }} as placement_id,
        {{ clean_text('source.person_id') }} as person_id,
        cast(source.removal_date as date) as removal_date,
        cast(source.start_date as date) as start_date,
        cast(source.end_date as date) as end_date,
        {{ clean_code('source.placement_type') }} as placement_type,
        {{ clean_code('source.end_reason') }} as end_reason,
        {{ clean_code('source.county_fips') }} as county_fips,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.placement_id,
        cleaned.person_id,
        cleaned.removal_date,
        cleaned.start_date,
        cleaned.end_date,
        cleaned.placement_type,
        cleaned.end_reason,
        cleaned.county_fips,
        counties.county_name,
        counties.judicial_district,
        cleaned.end_date is null as is_ongoing,
        {{ is_before('cleaned.end_date', 'cleaned.start_date') }} as is_end_before_start,
        {{ is_before('cleaned.start_date', 'cleaned.removal_date') }} as is_start_before_removal,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
    left join counties
        on cleaned.county_fips = counties.county_fips
)

select * from final
