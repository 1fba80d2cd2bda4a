{#- Chronic absence, defined once (research design; Attendance for Success
    Act, NMSA 22-12A): absent (excused + unexcused, summed over the year's
    schools) on 10% or more of the days enrolled (summed), counted only for
    students with 10 or more days enrolled. -#}
{% macro chronic_absence_rule() -%}
    {{ return({'threshold': 0.10, 'min_days_enrolled': 10}) }}
{%- endmacro %}

{#- CHRONICALLY_ABSENT / NOT_CHRONICALLY_ABSENT / TOO_FEW_DAYS_ENROLLED, or
    null without attendance data. -#}
{% macro chronic_absence_status(days_enrolled, days_absent) -%}
    {%- set rule = chronic_absence_rule() -%}
    case
        when {{ days_enrolled }} is null then null
        when {{ days_enrolled }} < {{ rule['min_days_enrolled'] }} then 'TOO_FEW_DAYS_ENROLLED'
        when {{ days_absent }} >= {{ rule['threshold'] }} * {{ days_enrolled }} then 'CHRONICALLY_ABSENT'
        else 'NOT_CHRONICALLY_ABSENT'
    end
{%- endmacro %}
