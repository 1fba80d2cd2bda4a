{{ config(pre_hook="select research_id('datashare-research-key-check')") }}

{#- The student-year spine: one row per research id and school year in
    which the (linked) person was enrolled in a NM public school (a PED
    snapshot or enrollment stay in the year). Identifiers stop here: the
    person key becomes a keyed hash (research_id), the birth date becomes
    age on 1 September, the district becomes a county. -#}

with snapshot_years as (
    select * from {{ ref('int_student_years__snapshots') }}
),

enrollment_years as (
    select * from {{ ref('int_student_years__enrollments') }}
),

attendance_years as (
    select * from {{ ref('int_student_years__attendance') }}
),

discipline_years as (
    select * from {{ ref('int_student_years__discipline') }}
),

assessment_years as (
    select * from {{ ref('int_student_years__assessments') }}
),

involvement_years as (
    select * from {{ ref('int_person_years__involvement') }}
),

grade_levels as (
    select * from {{ ref('grade_levels') }}
),

ped_districts_seed as (
    select * from {{ ref('ped_districts') }}
),

ped_districts as (
    -- The seed's codes as text whatever types the CSV was loaded with
    -- (district codes are 3 digits with leading zeros).
    select
        lpad(cast(ped_districts_seed.district_code as varchar), 3, '0') as district_code,
        cast(ped_districts_seed.county_fips as varchar) as county_fips
    from ped_districts_seed
),

nm_counties as (
    select * from {{ ref('nm_counties') }}
),

person_years as (
    select
        snapshot_years.person_key,
        snapshot_years.school_year
    from snapshot_years
    union
    select
        enrollment_years.person_key,
        enrollment_years.school_year
    from enrollment_years
),

last_year as (
    select max(person_years.school_year) as school_year from person_years
),

research_ids as (
    select
        distinct_keys.person_key,
        research_id(distinct_keys.person_key) as research_id
    from (select distinct person_years.person_key from person_years) as distinct_keys
),

described as (
    select
        person_years.person_key,
        cast(person_years.school_year as integer) as school_year,
        {{ age_on('snapshot_years.birth_date', 'make_date(cast(person_years.school_year as integer) - 1, 9, 1)') }}
            as age_sept1,
        coalesce(snapshot_years.sex, 'UNKNOWN') as sex,
        coalesce(snapshot_years.race_ethnicity, 'UNKNOWN') as race_ethnicity,
        snapshot_years.grade_level,
        grade_levels.grade_order,
        grade_levels.grade_band,
        ped_districts.county_fips,
        nm_counties.county_name,
        coalesce(snapshot_years.is_special_ed, false) as is_special_ed,
        coalesce(snapshot_years.is_gifted, false) as is_gifted,
        coalesce(snapshot_years.is_english_learner, false) as is_english_learner,
        coalesce(snapshot_years.is_section_504, false) as is_section_504,
        coalesce(enrollment_years.schools_attended, 0) as schools_attended,
        coalesce(enrollment_years.is_dropout, false) as is_dropout
    from person_years
    left join snapshot_years
        on
            person_years.person_key = snapshot_years.person_key
            and person_years.school_year = snapshot_years.school_year
    left join enrollment_years
        on
            person_years.person_key = enrollment_years.person_key
            and person_years.school_year = enrollment_years.school_year
    left join grade_levels
        on snapshot_years.grade_level = grade_levels.grade_level
    left join ped_districts
        on coalesce(snapshot_years.district_code, enrollment_years.district_code) = ped_districts.district_code
    left join nm_counties
        on ped_districts.county_fips = nm_counties.county_fips
),

with_next_year as (
    select
        described.*,
        next_year.grade_order as next_grade_order,
        next_year.person_key is not null as is_enrolled_next_year
    from described
    left join described as next_year
        on
            described.person_key = next_year.person_key
            and described.school_year + 1 = next_year.school_year
),

final as (
    select
        research_ids.research_id,
        with_next_year.school_year,
        cast(with_next_year.age_sept1 as integer) as age_sept1,
        with_next_year.sex,
        with_next_year.race_ethnicity,
        with_next_year.grade_level,
        with_next_year.grade_order,
        with_next_year.grade_band,
        with_next_year.county_fips,
        with_next_year.county_name,
        coalesce(involvement_years.is_ps, false) as is_ps,
        coalesce(involvement_years.is_ps_custody, false) as is_ps_custody,
        coalesce(involvement_years.is_jj, false) as is_jj,
        coalesce(involvement_years.is_ps and involvement_years.is_jj, false) as is_dual,
        coalesce(involvement_years.is_court_involved, false) as is_court_involved,
        not coalesce(involvement_years.is_ps or involvement_years.is_jj, false) as is_not_involved,
        with_next_year.is_special_ed,
        with_next_year.is_gifted,
        with_next_year.is_english_learner,
        with_next_year.is_section_504,
        with_next_year.schools_attended,
        with_next_year.schools_attended >= 2 as is_mobile,
        -- Retention: grades KF-11 whose person is enrolled next year with a
        -- known grade; never for the last school year loaded.
        coalesce(
            with_next_year.grade_order between 0 and 11
            and with_next_year.next_grade_order is not null
            and with_next_year.school_year < last_year.school_year,
            false
        ) as is_retention_eligible,
        case
            when
                with_next_year.grade_order between 0 and 11
                and with_next_year.next_grade_order is not null
                and with_next_year.school_year < last_year.school_year
                then with_next_year.next_grade_order <= with_next_year.grade_order
        end as is_retained,
        coalesce(with_next_year.grade_order between 7 and 12, false) as is_dropout_eligible,
        with_next_year.is_dropout,
        coalesce(attendance_years.days_enrolled, 0) as days_enrolled,
        coalesce(attendance_years.days_present, 0) as days_present,
        coalesce(attendance_years.days_absent, 0) as days_absent,
        coalesce(attendance_years.days_unexcused, 0) as days_unexcused,
        coalesce(attendance_years.is_chronic_absence_eligible, false) as is_chronic_absence_eligible,
        coalesce(attendance_years.is_chronically_absent, false) as is_chronically_absent,
        coalesce(attendance_years.is_excessively_absent, false) as is_excessively_absent,
        coalesce(attendance_years.is_habitually_truant, false) as is_habitually_truant,
        coalesce(discipline_years.incidents, 0) as incidents,
        coalesce(discipline_years.incidents, 0) > 0 as has_infraction,
        coalesce(discipline_years.has_out_of_school_suspension, false) as has_out_of_school_suspension,
        coalesce(discipline_years.has_expulsion, false) as has_expulsion,
        coalesce(assessment_years.is_tested_ela, false) as is_tested_ela,
        coalesce(assessment_years.is_proficient_ela, false) as is_proficient_ela,
        coalesce(assessment_years.is_tested_math, false) as is_tested_math,
        coalesce(assessment_years.is_proficient_math, false) as is_proficient_math,
        coalesce(assessment_years.is_tested_science, false) as is_tested_science,
        coalesce(assessment_years.is_proficient_science, false) as is_proficient_science
    from with_next_year
    inner join research_ids
        on with_next_year.person_key = research_ids.person_key
    cross join last_year
    left join involvement_years
        on
            with_next_year.person_key = involvement_years.person_key
            and with_next_year.school_year = involvement_years.school_year
    left join attendance_years
        on
            with_next_year.person_key = attendance_years.person_key
            and with_next_year.school_year = attendance_years.school_year
    left join discipline_years
        on
            with_next_year.person_key = discipline_years.person_key
            and with_next_year.school_year = discipline_years.school_year
    left join assessment_years
        on
            with_next_year.person_key = assessment_years.person_key
            and with_next_year.school_year = assessment_years.school_year
)

select * from final
