{#- Every non-null value of the column is a code of the contract's code set
    `code_set` (seed contract_code_sets, kept equal to the extract contract by
    tests/python/test_staging.py). -#}
{% test in_code_set(model, column_name, code_set) %}

with checked as (
    select {{ column_name }} as value
    from {{ model }}
    where {{ column_name }} is not null
),

allowed as (
    select code
    from {{ ref('contract_code_sets') }}
    where code_set = '{{ code_set }}'
)

select checked.value
from checked
where checked.value not in (select allowed.code from allowed)

{% endtest %}
