{#-
    The outcome measures of the research design (shared/research-design.md),
    defined once. Every mart, the published mart's accepted measure names, the
    measure dictionary and the summary read this list.

    Keys:
      measure      published measure name (exactly as the research design)
      domain       outcome domain (one mart per domain)
      unit         proportion (rate 0-1, Wilson interval, top/bottom coding),
                   mean (numerator / denominator), per_100 (100 * numerator / denominator)
      source       spine (deid_student_years, one row per student-year) or
                   cohort (deid_graduation_cohort, one row per cohort member)
      numerator    SQL summed over the source rows of a cell
      denominator  SQL summed over the source rows of a cell
      students     SQL summed: student-years (or cohort members) in the denominator;
                   primary suppression and the coding bands use it
      description  what the rate means
-#}
{% macro outcome_measures() -%}
    {%- set measures = [
        {'measure': 'special_ed_rate', 'domain': 'special_services', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_special_ed', 'denominator': 'true', 'students': 'true',
         'description': 'Share of student-years with special_ed = Y (an IEP) in at least one snapshot of the year.'},
        {'measure': 'gifted_rate', 'domain': 'special_services', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_gifted', 'denominator': 'true', 'students': 'true',
         'description': 'Share of student-years flagged gifted in at least one snapshot of the year.'},
        {'measure': 'english_learner_rate', 'domain': 'special_services', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_english_learner', 'denominator': 'true', 'students': 'true',
         'description': 'Share of student-years flagged English learner in at least one snapshot of the year.'},
        {'measure': 'section_504_rate', 'domain': 'special_services', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_section_504', 'denominator': 'true', 'students': 'true',
         'description': 'Share of student-years with a Section 504 plan in at least one snapshot of the year.'},
        {'measure': 'mobility_rate', 'domain': 'mobility', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_mobile', 'denominator': 'true', 'students': 'true',
         'description': 'Share of student-years with 2 or more distinct schools among the enrollment stays of the year.'},
        {'measure': 'schools_attended_mean', 'domain': 'mobility', 'unit': 'mean', 'source': 'spine',
         'numerator': 'schools_attended', 'denominator': 'true', 'students': 'true',
         'description': 'Mean number of distinct schools attended in the year (numerator = sum of distinct schools).'},
        {'measure': 'retention_rate', 'domain': 'retention_graduation', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_retention_eligible and is_retained', 'denominator': 'is_retention_eligible',
         'students': 'is_retention_eligible',
         'description': 'Share of student-years in grades KF-11 (person enrolled next year) whose grade next year is not above this year.'},
        {'measure': 'graduation_rate_4yr', 'domain': 'retention_graduation', 'unit': 'proportion', 'source': 'cohort',
         'numerator': 'is_in_denominator and is_graduated_4yr', 'denominator': 'is_in_denominator',
         'students': 'is_in_denominator',
         'description': 'Share of the four-year cohort (less transfers out and deaths) graduating in four years; school_year = cohort year.'},
        {'measure': 'dropout_rate', 'domain': 'retention_graduation', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_dropout_eligible and is_dropout', 'denominator': 'is_dropout_eligible',
         'students': 'is_dropout_eligible',
         'description': 'Share of student-years in grades 07-12 with at least one enrollment exit code DROPOUT in the year.'},
        {'measure': 'attendance_rate', 'domain': 'attendance', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'days_present', 'denominator': 'days_enrolled', 'students': 'days_enrolled > 0',
         'description': 'Days present over days enrolled, pooled over the attendance rows of the group (numerator and denominator are days).'},
        {'measure': 'chronic_absence_rate', 'domain': 'attendance', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_chronically_absent', 'denominator': 'is_chronic_absence_eligible',
         'students': 'is_chronic_absence_eligible',
         'description': 'Share of student-years with 10+ enrolled days absent 10% or more of enrolled days (NMSA 22-12A).'},
        {'measure': 'excessive_absence_rate', 'domain': 'attendance', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_excessively_absent', 'denominator': 'is_chronic_absence_eligible',
         'students': 'is_chronic_absence_eligible',
         'description': 'Share of student-years with 10+ enrolled days absent 20% or more of enrolled days.'},
        {'measure': 'habitual_truancy_rate', 'domain': 'attendance', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_habitually_truant', 'denominator': 'true', 'students': 'true',
         'description': 'Share of student-years with 10 or more unexcused absences (pre-2019 statutory definition).'},
        {'measure': 'infraction_rate', 'domain': 'discipline', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'has_infraction', 'denominator': 'true', 'students': 'true',
         'description': 'Share of student-years with 1 or more discipline rows.'},
        {'measure': 'out_of_school_suspension_rate', 'domain': 'discipline', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'has_out_of_school_suspension', 'denominator': 'true', 'students': 'true',
         'description': 'Share of student-years with 1 or more discipline rows with response OUT_OF_SCHOOL_SUSPENSION.'},
        {'measure': 'expulsion_rate', 'domain': 'discipline', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'has_expulsion', 'denominator': 'true', 'students': 'true',
         'description': 'Share of student-years with 1 or more discipline rows with response EXPULSION.'},
        {'measure': 'incidents_per_100', 'domain': 'discipline', 'unit': 'per_100', 'source': 'spine',
         'numerator': 'incidents', 'denominator': 'true', 'students': 'true',
         'description': 'Discipline rows (student-incidents) per 100 student-years (numerator = student-incidents).'},
        {'measure': 'proficiency_rate_ela', 'domain': 'testing', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_tested_ela and is_proficient_ela', 'denominator': 'is_tested_ela', 'students': 'is_tested_ela',
         'description': 'Share of student-years with an ELA score (NM-MSSA grades 3-8, SAT grade 11) at performance level 3 or 4.'},
        {'measure': 'proficiency_rate_math', 'domain': 'testing', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_tested_math and is_proficient_math', 'denominator': 'is_tested_math',
         'students': 'is_tested_math',
         'description': 'Share of student-years with a math score (NM-MSSA grades 3-8, SAT grade 11) at performance level 3 or 4.'},
        {'measure': 'proficiency_rate_science', 'domain': 'testing', 'unit': 'proportion', 'source': 'spine',
         'numerator': 'is_tested_science and is_proficient_science', 'denominator': 'is_tested_science',
         'students': 'is_tested_science',
         'description': 'Share of student-years with an NM-ASR science score at performance level 3 or 4.'},
    ] -%}
    {{ return(measures) }}
{%- endmacro %}

{#- The outcome domains, in reporting order, with their mart names. -#}
{% macro outcome_domains() -%}
    {{ return([
        {'domain': 'special_services', 'mart': 'mart_special_services', 'label': 'Special services'},
        {'domain': 'mobility', 'mart': 'mart_mobility', 'label': 'Mobility'},
        {'domain': 'retention_graduation', 'mart': 'mart_retention_graduation', 'label': 'Retention and graduation'},
        {'domain': 'attendance', 'mart': 'mart_attendance', 'label': 'Attendance, enrollment and truancy'},
        {'domain': 'discipline', 'mart': 'mart_discipline', 'label': 'Discipline'},
        {'domain': 'testing', 'mart': 'mart_testing', 'label': 'Testing and assessment'},
    ]) }}
{%- endmacro %}

{#- Comparison groups: code -> condition on the involvement flags of a row.
    COURT_INVOLVED is the AOC lens (research design): reported beside the six
    groups, it does not change them. -#}
{% macro comparison_groups() -%}
    {{ return([
        {'code': 'STATEWIDE', 'condition': 'true'},
        {'code': 'PS', 'condition': 'is_ps'},
        {'code': 'PS_CUSTODY', 'condition': 'is_ps_custody'},
        {'code': 'JJ', 'condition': 'is_jj'},
        {'code': 'DUAL', 'condition': 'is_dual'},
        {'code': 'NOT_INVOLVED', 'condition': 'is_not_involved'},
        {'code': 'COURT_INVOLVED', 'condition': 'is_court_involved'},
    ]) }}
{%- endmacro %}

{#- Breakdowns: name -> column of the source holding the breakdown value. -#}
{% macro outcome_breakdowns() -%}
    {{ return([
        {'breakdown': 'total', 'column': none},
        {'breakdown': 'grade_band', 'column': 'grade_band_value'},
        {'breakdown': 'sex', 'column': 'sex'},
        {'breakdown': 'race_ethnicity', 'column': 'race_ethnicity'},
        {'breakdown': 'county', 'column': 'county_name'},
    ]) }}
{%- endmacro %}

{%- macro sql_list(values) -%}
    {%- for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro -%}

{#- Absent at least `share` of enrolled days (exact decimal comparison: 10.00 of 100.00 days counts at 10%). -#}
{% macro is_absent_share_at_least(days_absent, days_enrolled, share) -%}
    ({{ days_absent }} >= cast({{ share }} as decimal(9, 4)) * {{ days_enrolled }})
{%- endmacro %}

{#- School year (named by its end year) of a date: 1 July .. 30 June. -#}
{% macro school_year_of(date_expr) -%}
    (year({{ date_expr }}) + case when month({{ date_expr }}) >= 7 then 1 else 0 end)
{%- endmacro %}

{#- A period [start, end] (end null = ongoing) overlaps the school year. -#}
{% macro overlaps_school_year(start_date, end_date, school_year) -%}
    ({{ start_date }} <= {{ datashare.school_year_end(school_year) }}
    and ({{ end_date }} is null or {{ end_date }} >= {{ datashare.school_year_start(school_year) }}))
{%- endmacro %}

{#- The linked person key of a PED student id (left join person_xref on
    system PED). A student id that the matched layer does not list (it
    appears only in a table without identity items, e.g. a cohort or
    enrollment row without any snapshot) is its own, unlinked person. -#}
{% macro ped_person_key(person_key, student_id) -%}
    coalesce({{ person_key }}, 'UNLINKED-PED-' || {{ student_id }})
{%- endmacro %}
