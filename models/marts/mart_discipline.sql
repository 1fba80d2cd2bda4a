{#- Outcome mart of the discipline domain: the published (disclosure-controlled)
    rows of its measures, the comparison groups side by side. One row per
    school year, measure, breakdown and breakdown value. -#}

{{ domain_mart('discipline') }}
