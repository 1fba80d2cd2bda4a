{#- The measure dictionary BI tools show beside published_outcomes: one row
    per measure of the research design (macro outcome_measures). -#}

with measures as (
    select * from (
        values
        {%- for m in outcome_measures() %}
            (
                {{ loop.index }},
                '{{ m.measure }}',
                '{{ m.domain }}',
                '{{ m.unit }}',
                '{{ m.description | replace("'", "''") }}'
            )
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ) as measures (reporting_order, measure, domain, unit, description)  -- noqa: AL05
),

final as (
    select
        cast(measures.reporting_order as integer) as reporting_order,
        cast(measures.measure as varchar) as measure,
        cast(measures.domain as varchar) as domain,  -- noqa: RF04
        cast(measures.unit as varchar) as unit,
        cast(measures.description as varchar) as description
    from measures
)

select * from final
