{#-
    Engine-specific SQL behind dispatched macros, so another adapter can
    implement them (name the implementation <adapter>__<macro>). Only DuckDB
    is implemented; other engines fail at compile time with a clear message.
-#}

{#- Remove diacritics: PEÑA -> PENA, JOSÉ -> JOSE. -#}
{% macro strip_accents(expr) -%}
    {{ return(adapter.dispatch('strip_accents', 'datashare')(expr)) }}
{%- endmacro %}

{% macro duckdb__strip_accents(expr) -%}
    strip_accents({{ expr }})
{%- endmacro %}

{% macro default__strip_accents(expr) -%}
    {{ exceptions.raise_compiler_error('strip_accents is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{#- Replace every match of a regular expression (pattern and replacement are SQL literals). -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'datashare')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#- The text of capture group `group` of the first match ('' when none). -#}
{% macro regexp_extract_group(expr, pattern, group) -%}
    {{ return(adapter.dispatch('regexp_extract_group', 'datashare')(expr, pattern, group)) }}
{%- endmacro %}

{% macro duckdb__regexp_extract_group(expr, pattern, group) -%}
    regexp_extract({{ expr }}, {{ pattern }}, {{ group }})
{%- endmacro %}

{% macro default__regexp_extract_group(expr, pattern, group) -%}
    {{ exceptions.raise_compiler_error('regexp_extract_group is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{#- Split a single-space-separated string into a list of words (varchar[]). -#}
{% macro split_words(expr) -%}
    {{ return(adapter.dispatch('split_words', 'datashare')(expr)) }}
{%- endmacro %}

{% macro duckdb__split_words(expr) -%}
    string_split({{ expr }}, ' ')
{%- endmacro %}

{% macro default__split_words(expr) -%}
    {{ exceptions.raise_compiler_error('split_words is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{#- Hex digest of a text (a stable key, not a secret: research ids use research_id()). -#}
{% macro hash_text(expr) -%}
    {{ return(adapter.dispatch('hash_text', 'datashare')(expr)) }}
{%- endmacro %}

{% macro default__hash_text(expr) -%}
    md5({{ expr }})
{%- endmacro %}

{#- True when the whole text matches the regular expression (a SQL literal). -#}
{% macro regexp_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'datashare')(expr, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, {{ pattern }})
{%- endmacro %}

{% macro default__regexp_full_match(expr, pattern) -%}
    {{ exceptions.raise_compiler_error('regexp_full_match is not implemented for adapter ' ~ adapter.type()) }}
{%- endmacro %}

{#- A date from year, month and day expressions. -#}
{% macro date_from_parts(year, month, day) -%}
    {{ return(adapter.dispatch('date_from_parts', 'datashare')(year, month, day)) }}
{%- endmacro %}

{% macro default__date_from_parts(year, month, day) -%}
    make_date({{ year }}, {{ month }}, {{ day }})
{%- endmacro %}
