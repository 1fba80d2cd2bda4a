{#- 95% Wilson score interval of a proportion x / n (z = var wilson_z); null when n is 0 or null.
    Clamped to [0, 1] against floating-point rounding. -#}
{% macro wilson_low(x, n) -%}
    {%- set z = var('wilson_z') -%}
    case when {{ n }} > 0 then greatest(0.0, (
        (cast({{ x }} as double) / {{ n }}) + {{ z }} * {{ z }} / (2.0 * {{ n }})
        - {{ z }} * sqrt(
            (cast({{ x }} as double) / {{ n }}) * (1 - cast({{ x }} as double) / {{ n }}) / {{ n }}
            + {{ z }} * {{ z }} / (4.0 * {{ n }} * {{ n }})
        )
    ) / (1 + {{ z }} * {{ z }} / {{ n }})) end
{%- endmacro %}

{% macro wilson_high(x, n) -%}
    {%- set z = var('wilson_z') -%}
    case when {{ n }} > 0 then least(1.0, (
        (cast({{ x }} as double) / {{ n }}) + {{ z }} * {{ z }} / (2.0 * {{ n }})
        + {{ z }} * sqrt(
            (cast({{ x }} as double) / {{ n }}) * (1 - cast({{ x }} as double) / {{ n }}) / {{ n }}
            + {{ z }} * {{ z }} / (4.0 * {{ n }} * {{ n }})
        )
    ) / (1 + {{ z }} * {{ z }} / {{ n }})) end
{%- endmacro %}
