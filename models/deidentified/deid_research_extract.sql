{#- The record-level research extract: the spine's quasi-identifiers made
    k-anonymous (k = var governance_k) per school year by generalizing,
    then withholding. Step 1: a record in a class below k gets its age
    coarsened to a band and its county generalized to 'OTHER'. Step 2: a
    record still in a class below k is left out. One row per research id
    and school year that survives; all measure inputs of the spine. -#}

with student_years as (
    select * from {{ ref('deid_student_years') }}
),

exact_classes as (
    select
        student_years.*,
        count(*) over (
            partition by
                student_years.school_year, student_years.age_sept1, student_years.sex,
                student_years.race_ethnicity, student_years.county_fips, student_years.grade_level
        ) as exact_class_size
    from student_years
),

generalized as (
    select
        exact_classes.*,
        case
            when exact_classes.exact_class_size >= {{ var('governance_k') }}
                then cast(exact_classes.age_sept1 as varchar)
            when exact_classes.age_sept1 is null then 'UNKNOWN'
            when exact_classes.age_sept1 < 6 then '0-5'
            when exact_classes.age_sept1 < 11 then '6-10'
            when exact_classes.age_sept1 < 14 then '11-13'
            when exact_classes.age_sept1 < 18 then '14-17'
            else '18+'
        end as age_group,
        case
            when exact_classes.exact_class_size >= {{ var('governance_k') }}
                then coalesce(exact_classes.county_name, 'UNKNOWN')
            else 'OTHER'
        end as county_group
    from exact_classes
),

general_classes as (
    select
        generalized.*,
        count(*) over (
            partition by
                generalized.school_year, generalized.age_group, generalized.sex,
                generalized.race_ethnicity, generalized.county_group, generalized.grade_level
        ) as class_size
    from generalized
),

final as (
    select
        general_classes.research_id,
        general_classes.school_year,
        general_classes.age_group,
        general_classes.sex,
        general_classes.race_ethnicity,
        general_classes.county_group,
        general_classes.grade_level,
        general_classes.grade_band,
        general_classes.exact_class_size < {{ var('governance_k') }} as is_generalized,
        general_classes.is_ps,
        general_classes.is_ps_custody,
        general_classes.is_jj,
        general_classes.is_dual,
        general_classes.is_court_involved,
        general_classes.is_not_involved,
        general_classes.is_special_ed,
        general_classes.is_gifted,
        general_classes.is_english_learner,
        general_classes.is_section_504,
        general_classes.schools_attended,
        general_classes.is_mobile,
        general_classes.is_retention_eligible,
        general_classes.is_retained,
        general_classes.is_dropout_eligible,
        general_classes.is_dropout,
        general_classes.days_enrolled,
        general_classes.days_present,
        general_classes.days_absent,
        general_classes.days_unexcused,
        general_classes.is_chronic_absence_eligible,
        general_classes.is_chronically_absent,
        general_classes.is_excessively_absent,
        general_classes.is_habitually_truant,
        general_classes.incidents,
        general_classes.has_infraction,
        general_classes.has_out_of_school_suspension,
        general_classes.has_expulsion,
        general_classes.is_tested_ela,
        general_classes.is_proficient_ela,
        general_classes.is_tested_math,
        general_classes.is_proficient_math,
        general_classes.is_tested_science,
        general_classes.is_proficient_science
    from general_classes
    where general_classes.class_size >= {{ var('governance_k') }}
)

select * from final
