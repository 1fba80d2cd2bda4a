{#- The published outcomes: what BI tools, exports and reports read. One
    row per school year, comparison group, measure, breakdown and breakdown
    value (graduation rows: school_year = cohort year). Withheld cells carry
    null in every number column, their reason in suppression_reason and '*'
    or the coding band in display_value. rate, ci_low and ci_high are
    proportions (0-1) for proportion measures; gap_pp_vs_not_involved is in
    percentage points (in the measure's own unit for the mean and per-100
    measures), shown only when both cells are shown. -#}

with disclosed as (
    select * from {{ ref('int_outcome_cells_disclosed') }}
),

shown as (
    select
        disclosed.school_year,
        disclosed.comparison_group,
        disclosed.measure,
        disclosed.unit,
        disclosed.breakdown,
        disclosed.breakdown_value,
        disclosed.suppression_reason,
        case
            when disclosed.suppression_reason = 'bottom_coded' then disclosed.bottom_label
            when disclosed.suppression_reason = 'top_coded' then disclosed.top_label
            when disclosed.is_hidden then '*'
            when disclosed.unit = 'proportion' then printf('%.1f%%', 100 * disclosed.rate)
            when disclosed.unit = 'mean' then printf('%.2f', disclosed.rate)
            else printf('%.1f', disclosed.rate)
        end as display_value,
        case when not disclosed.is_hidden then disclosed.numerator end as numerator,
        case when not disclosed.is_hidden then disclosed.denominator end as denominator,
        case when not disclosed.is_hidden then disclosed.rate end as rate,
        case when not disclosed.is_hidden then disclosed.ci_low end as ci_low,
        case when not disclosed.is_hidden then disclosed.ci_high end as ci_high
    from disclosed
),

not_involved as (
    select
        shown.school_year,
        shown.measure,
        shown.breakdown,
        shown.breakdown_value,
        shown.rate
    from shown
    where shown.comparison_group = 'NOT_INVOLVED'
),

final as (
    select
        cast(shown.school_year as integer) as school_year,
        cast(shown.comparison_group as varchar) as comparison_group,
        cast(shown.measure as varchar) as measure,
        cast(shown.breakdown as varchar) as breakdown,
        cast(shown.breakdown_value as varchar) as breakdown_value,
        cast(shown.numerator as double) as numerator,
        cast(shown.denominator as double) as denominator,
        cast(shown.rate as double) as rate,
        cast(shown.ci_low as double) as ci_low,
        cast(shown.ci_high as double) as ci_high,
        cast(
            (shown.rate - not_involved.rate) * case when shown.unit = 'proportion' then 100 else 1 end
            as double
        ) as gap_pp_vs_not_involved,
        cast(shown.display_value as varchar) as display_value,
        cast(shown.suppression_reason as varchar) as suppression_reason
    from shown
    left join not_involved
        on
            shown.school_year = not_involved.school_year
            and shown.measure = not_involved.measure
            and shown.breakdown = not_involved.breakdown
            and shown.breakdown_value = not_involved.breakdown_value
)

select * from final
