{{ config(access='private') }}

{#- Outcome cells of the special_services domain, before disclosure control: one row
    per school year, comparison group, measure, breakdown and breakdown
    value with a positive denominator (macro outcome_cells). -#}

{{ outcome_cells('special_services') }}
