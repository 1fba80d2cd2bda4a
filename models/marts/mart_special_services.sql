{#- Outcome mart of the special_services domain: the published (disclosure-controlled)
    rows of its measures, the comparison groups side by side. One row per
    school year, measure, breakdown and breakdown value. -#}

{{ domain_mart('special_services') }}
