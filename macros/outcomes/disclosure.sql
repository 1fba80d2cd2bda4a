-- noqa: disable=LT02,LT05
{#-
    Disclosure control (research design, privacy rules; docs/research-marts.md).

    A *set* is a linear relation between published cells: the signed sum of
    its members is zero. Breakdown sets: the values of one breakdown of a
    group/year/measure (+1 each) against the group's total (-1). Group sets,
    per year/measure/breakdown value, from the group definitions:
      ALL:     STATEWIDE = NOT_INVOLVED + PS + JJ - DUAL
      CUSTODY: PS = PS_CUSTODY + (PS not in custody, never published)
      PS_DUAL: PS = DUAL + (PS only, never published)
      JJ_DUAL: JJ = DUAL + (JJ only, never published)
      COURT:   STATEWIDE = COURT_INVOLVED + (not court-involved, never published)
    A never-published member is a *phantom*: always hidden.

    A set is safe when (a) without a phantom, the number of hidden members is
    0 or at least 2, and (b) what the shown members imply about the hidden
    ones (|signed sum of the shown members|) is 0 or at least the threshold,
    for numerators and for denominators alike.
    priority: which member to hide first when a set is unsafe (1 = a part,
    2 = a total, hidden only when no part can be).
-#}
{% macro disclosure_group_relations() -%}
    {{ return([
        {'relation': 'ALL', 'comparison_group': 'STATEWIDE', 'sign': -1, 'priority': 2, 'has_phantom': false},
        {'relation': 'ALL', 'comparison_group': 'NOT_INVOLVED', 'sign': 1, 'priority': 1, 'has_phantom': false},
        {'relation': 'ALL', 'comparison_group': 'PS', 'sign': 1, 'priority': 1, 'has_phantom': false},
        {'relation': 'ALL', 'comparison_group': 'JJ', 'sign': 1, 'priority': 1, 'has_phantom': false},
        {'relation': 'ALL', 'comparison_group': 'DUAL', 'sign': -1, 'priority': 1, 'has_phantom': false},
        {'relation': 'CUSTODY', 'comparison_group': 'PS', 'sign': -1, 'priority': 2, 'has_phantom': true},
        {'relation': 'CUSTODY', 'comparison_group': 'PS_CUSTODY', 'sign': 1, 'priority': 1, 'has_phantom': true},
        {'relation': 'PS_DUAL', 'comparison_group': 'PS', 'sign': -1, 'priority': 2, 'has_phantom': true},
        {'relation': 'PS_DUAL', 'comparison_group': 'DUAL', 'sign': 1, 'priority': 1, 'has_phantom': true},
        {'relation': 'JJ_DUAL', 'comparison_group': 'JJ', 'sign': -1, 'priority': 2, 'has_phantom': true},
        {'relation': 'JJ_DUAL', 'comparison_group': 'DUAL', 'sign': 1, 'priority': 1, 'has_phantom': true},
        {'relation': 'COURT', 'comparison_group': 'STATEWIDE', 'sign': -1, 'priority': 2, 'has_phantom': true},
        {'relation': 'COURT', 'comparison_group': 'COURT_INVOLVED', 'sign': 1, 'priority': 1, 'has_phantom': true},
    ]) }}
{%- endmacro %}

{#- SQL (a select) of the set memberships of the cells in relation `cells`
    (columns cell_id, school_year, measure, comparison_group, breakdown,
    breakdown_value): set_id, cell_id, sign, priority, has_phantom. -#}
{% macro disclosure_set_members(cells) -%}
    select
        concat_ws('|', 'B', parts.school_year, parts.measure, parts.comparison_group, parts.breakdown) as set_id,
        parts.cell_id,
        1 as sign,
        1 as priority,
        false as has_phantom
    from {{ cells }} as parts
    where parts.breakdown <> 'total'

    union all

    select
        concat_ws('|', 'B', breakdown_sets.school_year, breakdown_sets.measure,
            breakdown_sets.comparison_group, breakdown_sets.breakdown) as set_id,
        totals.cell_id,
        -1 as sign,
        2 as priority,
        false as has_phantom
    from (
        select distinct
            parts.school_year,
            parts.measure,
            parts.comparison_group,
            parts.breakdown
        from {{ cells }} as parts
        where parts.breakdown <> 'total'
    ) as breakdown_sets
    inner join {{ cells }} as totals
        on
            breakdown_sets.school_year = totals.school_year
            and breakdown_sets.measure = totals.measure
            and breakdown_sets.comparison_group = totals.comparison_group
            and totals.breakdown = 'total'

    union all

    select
        concat_ws('|', 'G', relations.relation, members.school_year, members.measure,
            members.breakdown, members.breakdown_value) as set_id,
        members.cell_id,
        relations.sign,
        relations.priority,
        relations.has_phantom
    from {{ cells }} as members
    inner join (
        values
        {%- for r in disclosure_group_relations() %}
        ('{{ r.relation }}', '{{ r.comparison_group }}', {{ r.sign }}, {{ r.priority }}, {{ r.has_phantom }})
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ) as relations (relation, comparison_group, sign, priority, has_phantom)
        on members.comparison_group = relations.comparison_group
{%- endmacro %}

{#- SQL (a select) of the sets that break the rules, given memberships and
    cells with columns cell_id, numerator, denominator, students, is_hidden. -#}
{% macro disclosure_unsafe_sets(members, cells) -%}
    {%- set t = var('suppression_threshold') -%}
    select set_state.set_id
    from (
        select
            {{ members }}.set_id,
            bool_or({{ members }}.has_phantom) as has_phantom,
            count(*) filter (where {{ cells }}.is_hidden) as hidden_cells,
            abs(sum(case when not {{ cells }}.is_hidden then {{ members }}.sign * {{ cells }}.numerator else 0 end))
                as derived_numerator,
            abs(sum(case when not {{ cells }}.is_hidden then {{ members }}.sign * {{ cells }}.denominator else 0 end))
                as derived_denominator,
            abs(sum(case when not {{ cells }}.is_hidden then {{ members }}.sign * {{ cells }}.students else 0 end))
                as derived_students
        from {{ members }}
        inner join {{ cells }}
            on {{ members }}.cell_id = {{ cells }}.cell_id
        group by {{ members }}.set_id
    ) as set_state
    where
        (not set_state.has_phantom and set_state.hidden_cells = 1)
        or (
            (set_state.has_phantom or set_state.hidden_cells > 0)
            and (
                (set_state.derived_numerator > 0.001 and set_state.derived_numerator < {{ t }} - 0.001)
                or (set_state.derived_denominator > 0.001 and set_state.derived_denominator < {{ t }} - 0.001)
                or (set_state.derived_students > 0 and set_state.derived_students < {{ t }})
            )
        )
{%- endmacro %}

{#- CTEs <prefix>_unsafe_<r>, <prefix>_picked_<r>, <prefix>_round_<r> for
    r = 1..rounds (each followed by a comma), given a CTE <prefix>_round_0
    (cell_id, numerator, denominator, students, is_hidden, reason) and the
    set memberships `members`. Each round hides, in every unsafe set, the
    shown member with a non-zero numerator first (a zero protects nothing),
    a part before a total, then the smallest denominator. -#}
{% macro disclosure_rounds(prefix, members, rounds) -%}
    {%- for r in range(1, rounds + 1) %}
    {%- set prev = prefix ~ '_round_' ~ (r - 1) %}
{{ prefix }}_unsafe_{{ r }} as (
    {{ disclosure_unsafe_sets(members, prev) }}
),

{{ prefix }}_picked_{{ r }} as (
    select distinct ranked.cell_id
    from (
        select
            {{ members }}.cell_id,
            row_number() over (
                partition by {{ members }}.set_id
                order by
                    {{ prev }}.numerator > 0 desc,
                    {{ members }}.priority asc,
                    {{ prev }}.denominator asc,
                    {{ prev }}.numerator asc,
                    {{ members }}.cell_id asc
            ) as pick_order
        from {{ prefix }}_unsafe_{{ r }}
        inner join {{ members }}
            on {{ prefix }}_unsafe_{{ r }}.set_id = {{ members }}.set_id
        inner join {{ prev }}
            on {{ members }}.cell_id = {{ prev }}.cell_id
        where not {{ prev }}.is_hidden
    ) as ranked
    where ranked.pick_order = 1
),

{{ prefix }}_round_{{ r }} as materialized (
    select
        {{ prev }}.cell_id,
        {{ prev }}.numerator,
        {{ prev }}.denominator,
        {{ prev }}.students,
        {{ prev }}.is_hidden or {{ prefix }}_picked_{{ r }}.cell_id is not null as is_hidden,
        case
            when {{ prev }}.is_hidden then {{ prev }}.reason
            when {{ prefix }}_picked_{{ r }}.cell_id is not null then 'complementary'
        end as reason
    from {{ prev }}
    left join {{ prefix }}_picked_{{ r }}
        on {{ prev }}.cell_id = {{ prefix }}_picked_{{ r }}.cell_id
),
    {%- endfor %}
{%- endmacro %}
