with source as (
    select * from {{ source('aoc', 'aoc_case') }}
),

counties as (
    select * from {{ ref('nm_counties') }}
),

cleaned as (
    select
        {{ clean_text('source.case_number') }} as case_number,
        {{ clean_text('source.party_id') }} as party_id,
        {{ clean_code('source.case_type') }} as case_type,
        cast(source.filing_date as date) as filing_date,
        cast(source.closed_date as date) as closed_date,
        {{ clean_code('source.county_fips') }} as county_fips,
        cast(source.judicial_district as integer) as judicial_district,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.case_number,
        cleaned.party_id,
        cleaned.case_type,
        cleaned.filing_date,
        cleaned.closed_date,
        cleaned.county_fips,
        cleaned.judicial_district,
        counties.county_name,
        counties.judicial_district as county_judicial_district,
        cleaned.closed_date is null as is_open,
        {{ is_before('cleaned.closed_date', 'cleaned.filing_date') }} as is_closed_before_filing,
        coalesce(cleaned.judicial_district <> counties.judicial_district, false) as is_judicial_district_mismatch,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
    left join counties
        on cleaned.county_fips = counties.county_fips
)

select * from final
