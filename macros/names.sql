{#-
    Name standardization: the one place that says how a recorded name becomes
    the comparable form used for linkage (docs/staging.md).

    standardize_name(expr)
        upper case, accents stripped (PEÑA -> PENA), apostrophes joined
        (O'BRIEN -> OBRIEN), every other character that is not a letter
        (hyphens, periods, commas, digits) turned into a space, runs of spaces
        collapsed, ends trimmed, an empty result -> null.
    last_name_std(expr)
        standardize_name, less a trailing generational suffix (GARCIA JR ->
        GARCIA) when something else remains.
    name_suffix_std(suffix_expr, last_name_expr)
        the standardized suffix column (JUNIOR -> JR, SENIOR -> SR), else the
        suffix found at the end of the last name.
    last_name_tokens(std_expr)
        the words of a standardized last name without particles, so GARCIA
        LOPEZ, GARCIA-LOPEZ and GARCIA can be compared word by word
        (DE LA CRUZ -> [CRUZ]); all words when only particles remain.
    name_std_columns(first, middle, last, suffix)
        the five standardized columns every identity table carries, given the
        column names of the originals (middle and suffix may be none).

    The word lists (suffixes, particles) are defined once below.
    Engine-specific functions sit behind the dispatched macros of
    macros/engine.sql.
-#}

{#- Generational suffixes recognised in suffix columns and at the end of last names. -#}
{% macro name_suffixes() -%}
    {{ return(['JR', 'SR', 'II', 'III', 'IV']) }}
{%- endmacro %}

{#- Spelled-out suffixes and their standard form. -#}
{% macro name_suffix_spellings() -%}
    {{ return({'JUNIOR': 'JR', 'SENIOR': 'SR'}) }}
{%- endmacro %}

{#- Surname particles dropped from last_name_tokens (DE LA = DE + LA). -#}
{% macro name_particles() -%}
    {{ return(['DE', 'LA', 'DEL', 'LOS', 'LAS', 'Y']) }}
{%- endmacro %}

{% macro standardize_name(expr) -%}
    nullif(trim({{ regexp_replace_all(
        regexp_replace_all(
            regexp_replace_all(
                'upper(' ~ strip_accents('upper(' ~ expr ~ ')') ~ ')',
                "'[''’‘`´]'",
                "''"
            ),
            "'[^A-Z ]'",
            "' '"
        ),
        "' +'",
        "' '"
    ) }}), '')
{%- endmacro %}

{%- macro _suffix_at_end_pattern() -%}
    ' ({{ name_suffixes() | join('|') }})$'
{%- endmacro %}

{% macro last_name_std(expr) -%}
    nullif(trim({{ regexp_replace_all(
        standardize_name(expr),
        _suffix_at_end_pattern(),
        "''"
    ) }}), '')
{%- endmacro %}

{% macro name_suffix_std(suffix_expr, last_name_expr) -%}
    {%- set suffix_clean = standardize_name(suffix_expr) if suffix_expr else 'null' -%}
    {%- set whens = [] -%}
    {%- for spelled, std in name_suffix_spellings().items() -%}
        {%- do whens.append("when '" ~ spelled ~ "' then '" ~ std ~ "'") -%}
    {%- endfor %}
    coalesce(
        case {{ suffix_clean }} {{ whens | join(' ') }} else {{ suffix_clean }} end,
        nullif({{ regexp_extract_group(
            standardize_name(last_name_expr),
            _suffix_at_end_pattern(),
            1
        ) }}, '')
    )
{%- endmacro %}

{% macro last_name_tokens(std_expr) -%}
    {%- set without_particles = 'trim(' ~ regexp_replace_all(
        regexp_replace_all(
            std_expr,
            "'\\b(" ~ name_particles() | join('|') ~ ")\\b'",
            "''"
        ),
        "' +'",
        "' '"
    ) ~ ')' -%}
    case
        when {{ std_expr }} is null then null
        when {{ without_particles }} = '' then {{ split_words(std_expr) }}
        else {{ split_words(without_particles) }}
    end
{%- endmacro %}

{% macro name_std_columns(first_name, middle_name, last_name, name_suffix) -%}
    {{ standardize_name(first_name) }} as first_name_std,
    {% if middle_name -%}
        {{ standardize_name(middle_name) }}
    {%- else -%}
        cast(null as varchar)
    {%- endif %} as middle_name_std,
    {{ last_name_std(last_name) }} as last_name_std,
    {{ name_suffix_std(name_suffix, last_name) }} as name_suffix_std,
    {{ last_name_tokens(last_name_std(last_name)) }} as last_name_tokens
{%- endmacro %}
