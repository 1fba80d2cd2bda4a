{#- Fails when any column of the de-identified or marts layers holds a
    direct identifier, by column name, type or value (macro
    identifier_scan). The names scanned for are every first, middle and last
    name of the raw extracts, less the words of the project's own
    vocabulary (contract codes, county names, harmonized codes); the record
    ids scanned for are every agency id value of the raw extracts. -#}
{{ config(tags=['privacy']) }}

-- depends_on: {{ ref('deid_student_years') }}
-- depends_on: {{ ref('deid_graduation_cohort') }}
-- depends_on: {{ ref('deid_k_anonymity') }}
-- depends_on: {{ ref('deid_research_extract') }}
-- depends_on: {{ ref('deid_build_info') }}
-- depends_on: {{ ref('published_outcomes') }}
-- depends_on: {{ ref('measure_definitions') }}
-- depends_on: {{ ref('published_metadata') }}
-- depends_on: {{ ref('mart_special_services') }}
-- depends_on: {{ ref('mart_mobility') }}
-- depends_on: {{ ref('mart_retention_graduation') }}
-- depends_on: {{ ref('mart_attendance') }}
-- depends_on: {{ ref('mart_discipline') }}
-- depends_on: {{ ref('mart_testing') }}

with raw_names as (
    select first_name as name_value from {{ source('cyfd', 'cyfd_person') }}
    union
    select middle_name as name_value from {{ source('cyfd', 'cyfd_person') }}
    union
    select last_name as name_value from {{ source('cyfd', 'cyfd_person') }}
    union
    select first_name as name_value from {{ source('cyfd', 'cyfd_person_alias') }}
    union
    select last_name as name_value from {{ source('cyfd', 'cyfd_person_alias') }}
    union
    select first_name as name_value from {{ source('ped', 'ped_student_snapshot') }}
    union
    select middle_name as name_value from {{ source('ped', 'ped_student_snapshot') }}
    union
    select last_name as name_value from {{ source('ped', 'ped_student_snapshot') }}
    union
    select first_name as name_value from {{ source('aoc', 'aoc_party') }}
    union
    select middle_name as name_value from {{ source('aoc', 'aoc_party') }}
    union
    select last_name as name_value from {{ source('aoc', 'aoc_party') }}
),

vocabulary as (
    select upper(code) as word from {{ ref('contract_code_sets') }}
    union
    select upper(county_name) from {{ ref('nm_counties') }}
    union
    select upper(race_ethnicity) from {{ ref('race_ethnicity_map') }}
    union
    select upper(grade_level) from {{ ref('grade_levels') }}
    union
    select extra_words.word from (
        values ('TOTAL'), ('UNKNOWN'), ('OTHER'), ('STATEWIDE'), ('NOT_INVOLVED'), ('DEMO'), ('SECRET')
    ) as extra_words (word)
),

scanned_names as (
    select raw_names.name_value
    from raw_names
    where upper(trim(raw_names.name_value)) not in (select vocabulary.word from vocabulary)
),

-- Every agency record id of the raw extracts (each pii-tagged text column
-- named *_id or *_number of every source: report, placement, referral,
-- supervision and release ids, case numbers, person, student, party and
-- staff ids), whatever its format, less the project's vocabulary and the
-- county codes.
raw_record_ids as (
    {{ raw_record_ids() }}
),

county_codes as (
    select cast(nm_counties.county_fips as varchar) as county_fips
    from {{ ref('nm_counties') }} as nm_counties
),

scanned_ids as (
    select raw_record_ids.id_value
    from raw_record_ids
    where
        raw_record_ids.id_value is not null
        and upper(trim(raw_record_ids.id_value)) not in (select vocabulary.word from vocabulary)
        and raw_record_ids.id_value not in (select county_codes.county_fips from county_codes)
),

scan as (
    {{ identifier_scan(
        [ref('deid_student_years').schema, ref('published_outcomes').schema], 'scanned_names', 'scanned_ids'
    ) }}
)

select * from scan
