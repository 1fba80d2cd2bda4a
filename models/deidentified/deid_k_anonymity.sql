{#- k-anonymity of the student-year spine over the declared
    quasi-identifiers (age on 1 September, sex, race/ethnicity, county,
    grade), one row per school year. An equivalence class is the set of
    student-years sharing all five values; governance_k is the project
    variable. Records in classes smaller than k are withheld or
    generalized in record-level research extracts (deid_research_extract). -#}

with student_years as (
    select * from {{ ref('deid_student_years') }}
),

classes as (
    select
        student_years.school_year,
        student_years.age_sept1,
        student_years.sex,
        student_years.race_ethnicity,
        student_years.county_fips,
        student_years.grade_level,
        count(*) as class_size
    from student_years
    group by all
),

final as (
    select
        classes.school_year,
        cast({{ var('governance_k') }} as integer) as governance_k,
        cast(sum(classes.class_size) as bigint) as student_years,
        cast(count(*) as bigint) as equivalence_classes,
        cast(min(classes.class_size) as bigint) as k_achieved,
        cast(median(classes.class_size) as double) as median_class_size,
        cast(count(*) filter (where classes.class_size < {{ var('governance_k') }}) as bigint) as classes_below_k,
        cast(
            coalesce(sum(classes.class_size) filter (where classes.class_size < {{ var('governance_k') }}), 0) as bigint
        )
            as student_years_below_k,
        cast(
            coalesce(sum(classes.class_size) filter (where classes.class_size < {{ var('governance_k') }}), 0) as double
        )
        / sum(classes.class_size) as share_below_k,
        cast(count(*) filter (where classes.class_size = 1) as bigint) as unique_records
    from classes
    group by classes.school_year
)

select * from final
