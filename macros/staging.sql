{#- Small cleaning helpers shared by the staging models (docs/staging.md). -#}

{#- A code as the contract defines it: trimmed, upper case, empty -> null. -#}
{% macro clean_code(expr) -%}
    nullif(upper(trim({{ expr }})), '')
{%- endmacro %}

{#- Free text (ids, names as recorded): trimmed, empty -> null. -#}
{% macro clean_text(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}

{#- An SSN usable for matching: 9 digits and not a structurally invalid or
    placeholder number (area 000, 666 or 9xx, group 00, serial 0000,
    123456789); otherwise null. -#}
{% macro clean_ssn(expr) -%}
    case
        when not {{ regexp_full_match('trim(' ~ expr ~ ')', "'[0-9]{9}'") }} then null
        when left(trim({{ expr }}), 3) in ('000', '666') then null
        when left(trim({{ expr }}), 1) = '9' then null
        when substr(trim({{ expr }}), 4, 2) = '00' then null
        when right(trim({{ expr }}), 4) = '0000' then null
        when trim({{ expr }}) = '123456789' then null
        else trim({{ expr }})
    end
{%- endmacro %}

{#- Sex for linkage: M or F; anything else (U, X, empty) -> null. -#}
{% macro identity_sex(expr) -%}
    case when upper(trim({{ expr }})) in ('M', 'F') then upper(trim({{ expr }})) end
{%- endmacro %}

{#- True when `later` is before `earlier` (both present); false otherwise. -#}
{% macro is_before(later, earlier) -%}
    coalesce({{ later }} < {{ earlier }}, false)
{%- endmacro %}

{#- First and last day of a school year (1 July to 30 June; school_year names the end year). -#}
{% macro school_year_start(school_year) -%}
    {{ date_from_parts('cast(' ~ school_year ~ ' as integer) - 1', 7, 1) }}
{%- endmacro %}

{% macro school_year_end(school_year) -%}
    {{ date_from_parts('cast(' ~ school_year ~ ' as integer)', 6, 30) }}
{%- endmacro %}

{#- September 1 of the school year (the reference date of ages). -#}
{% macro school_year_september_1(school_year) -%}
    {{ date_from_parts('cast(' ~ school_year ~ ' as integer) - 1', 9, 1) }}
{%- endmacro %}

{#- True when a present date falls outside the school year. -#}
{% macro is_outside_school_year(date_expr, school_year) -%}
    coalesce(
        {{ date_expr }} < {{ school_year_start(school_year) }}
        or {{ date_expr }} > {{ school_year_end(school_year) }},
        false
    )
{%- endmacro %}

{#- Age in whole years on a date (ANSI extract, no engine date functions). -#}
{% macro age_on(birth_date, on_date) -%}
    extract(year from {{ on_date }}) - extract(year from {{ birth_date }})
    - case
        when extract(month from {{ on_date }}) * 100 + extract(day from {{ on_date }})
            < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }}) then 1
        else 0
    end
{%- endmacro %}

{#- Plausible age of a student on September 1 of the school year (inclusive bounds). -#}
{% macro student_age_bounds() -%}
    {{ return({'min': 2, 'max': 22}) }}
{%- endmacro %}

{#- A deterministic text key from several columns (null-safe): the hash of
    the values joined by '|', a null written as '~null~'. -#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("coalesce(cast(" ~ c ~ " as varchar), '~null~')") -%}
    {%- endfor -%}
    {{ hash_text(parts | join(" || '|' || ")) }}
{%- endmacro %}

{#- Order of the STARS reporting periods within a school year. -#}
{% macro snapshot_order(expr) -%}
    case {{ expr }}
        when '40D' then 1
        when '80D' then 2
        when '120D' then 3
        when 'EOY' then 4
    end
{%- endmacro %}

{#- The PED race/ethnicity source code mapped through seed race_ethnicity_map:
    HISPANIC when hispanic = Y (federal two-question rule: ethnicity first),
    else the race code, else UNKNOWN. -#}
{% macro ped_race_ethnicity_source_code(hispanic, race) -%}
    case
        when {{ hispanic }} = 'Y' then 'HISPANIC'
        when {{ race }} is not null then {{ race }}
        else 'UNKNOWN'
    end
{%- endmacro %}
