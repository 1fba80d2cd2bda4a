{{ year_keyed_incremental('school_year', 'ped_student_snapshot') }}

with source as (
    select * from {{ source('ped', 'ped_student_snapshot') }}
    {{ reloaded_years_filter(source('ped', 'ped_student_snapshot'), 'school_year') }}
),

race_ethnicity_map as (
    select * from {{ ref('race_ethnicity_map') }}
),

grade_levels as (
    select * from {{ ref('grade_levels') }}
),

cleaned as (
    select
        cast(source.school_year as integer) as school_year,
        {{ clean_code('source.snapshot') }} as snapshot,
        {{ clean_text('source.student_id') }} as student_id,
        {{ clean_text('source.district_code') }} as district_code,
        {{ clean_text('source.school_code') }} as school_code,
        {{ clean_text('source.first_name') }} as first_name,
        {{ clean_text('source.middle_name') }} as middle_name,
        {{ clean_text('source.last_name') }} as last_name,
        {{ clean_text('source.name_suffix') }} as name_suffix,
        cast(source.birth_date as date) as birth_date,
        {{ clean_code('source.gender') }} as gender,
        {{ clean_text('source.ssn') }} as ssn,
        {{ clean_code('source.hispanic') }} as hispanic,
        {{ clean_code('source.race') }} as race,
        {{ clean_code('source.grade_level') }} as grade_level,
        {{ clean_code('source.special_ed') }} as special_ed,
        {{ clean_code('source.primary_disability') }} as primary_disability,
        {{ clean_code('source.gifted') }} as gifted,
        {{ clean_code('source.english_learner') }} as english_learner,
        {{ clean_code('source.econ_disadvantaged') }} as econ_disadvantaged,
        {{ clean_code('source.section_504') }} as section_504,
        {{ clean_code('source.homeless') }} as homeless,
        {{ name_std_columns('source.first_name', 'source.middle_name', 'source.last_name', 'source.name_suffix') }},
        {{ clean_ssn('source.ssn') }} as ssn_std,
        {{ identity_sex('source.gender') }} as sex,
        {{ snapshot_order(clean_code('source.snapshot')) }} as snapshot_order,
        {{ ped_race_ethnicity_source_code(clean_code('source.hispanic'), clean_code('source.race')) }}
            as race_ethnicity_source_code,
        {{ age_on('cast(source.birth_date as date)', school_year_september_1('source.school_year')) }}
            as age_on_september_1,
        source._drop_id,
        source._source_file,
        source._line_number,
        source._loaded_at
    from source
),

final as (
    select
        cleaned.school_year,
        cleaned.snapshot,
        cleaned.student_id,
        cleaned.district_code,
        cleaned.school_code,
        cleaned.first_name,
        cleaned.middle_name,
        cleaned.last_name,
        cleaned.name_suffix,
        cleaned.birth_date,
        cleaned.gender,
        cleaned.ssn,
        cleaned.hispanic,
        cleaned.race,
        cleaned.grade_level,
        cleaned.special_ed,
        cleaned.primary_disability,
        cleaned.gifted,
        cleaned.english_learner,
        cleaned.econ_disadvantaged,
        cleaned.section_504,
        cleaned.homeless,
        cleaned.first_name_std,
        cleaned.middle_name_std,
        cleaned.last_name_std,
        cleaned.name_suffix_std,
        cleaned.last_name_tokens,
        cleaned.ssn_std,
        cleaned.sex,
        cleaned.snapshot_order,
        coalesce(race_ethnicity_map.race_ethnicity, 'UNKNOWN') as race_ethnicity_std,
        grade_levels.grade_order,
        grade_levels.grade_band,
        cleaned.age_on_september_1,
        coalesce(
            cleaned.age_on_september_1 not between {{ student_age_bounds()['min'] }}
            and {{ student_age_bounds()['max'] }},
            false
        ) as is_age_implausible,
        cleaned._drop_id,
        cleaned._source_file,
        cleaned._line_number,
        cleaned._loaded_at
    from cleaned
    left join race_ethnicity_map
        on
            race_ethnicity_map.system = 'PED'
            and cleaned.race_ethnicity_source_code = race_ethnicity_map.source_code
    left join grade_levels
        on cleaned.grade_level = grade_levels.grade_level
)

select * from final
