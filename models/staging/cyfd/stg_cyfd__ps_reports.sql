with source as (
    select * from {{ source('cyfd', 'cyfd_ps_report') }}
),

counties as (
    select * from {{ ref('nm_counties') }}
),

cleaned as (
    select
        {{ clean_text('source.report_id') }} as report_id,
        {{ clean_text('source.person_id') }} as person_id,
        cast(source.report_date as date) as report_date,
        {{ clean_code('source.allegation') }} as allegation,
        {{ clean_code('source.finding') }} as finding,
        {{ clean_code('source.county_fips') }} as county_fips,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.report_id,
        cleaned.person_id,
        cleaned.report_date,
        cleaned.allegation,
        cleaned.finding,
        cleaned.county_fips,
        counties.county_name,
        counties.judicial_district,
        {{ is_before('cast(cleaned._loaded_at as date)', 'cleaned.report_date') }} as is_report_date_after_load,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
    left join counties
        on cleaned.county_fips = counties.county_fips
)

select * from final
