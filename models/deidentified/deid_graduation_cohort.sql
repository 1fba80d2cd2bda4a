{{ config(pre_hook="select research_id('datashare-research-key-check')") }}

{#- The four-year graduation cohort: one row per research id and cohort
    year. A person listed under two student ids in a cohort counts once,
    with the most final outcome (priority below). The group flags are the
    person's involvement in any of the cohort's four school years (cohort
    year - 3 ... cohort year). -#}

with cohort_members as (
    select * from {{ ref('stg_ped__graduation_cohort_members') }}
),

person_xref as (
    select * from {{ ref('person_xref') }}
),

involvement_years as (
    select * from {{ ref('int_person_years__involvement') }}
),

snapshot_years as (
    select * from {{ ref('int_student_years__snapshots') }}
),

ped_districts_seed as (
    select * from {{ ref('ped_districts') }}
),

ped_districts as (
    -- The seed's codes as text whatever types the CSV was loaded with
    -- (district codes are 3 digits with leading zeros).
    select
        lpad(cast(ped_districts_seed.district_code as varchar), 3, '0') as district_code,
        cast(ped_districts_seed.county_fips as varchar) as county_fips
    from ped_districts_seed
),

nm_counties as (
    select * from {{ ref('nm_counties') }}
),

outcome_priority as (
    select * from (
        values
        ('GRADUATED', 6),
        ('OTHER_COMPLETER', 5),
        ('STILL_ENROLLED', 4),
        ('DROPPED_OUT', 3),
        ('TRANSFERRED_OUT', 2),
        ('DECEASED', 1)
    ) as outcome_priority (outcome, priority)  -- noqa: AL05
),

linked as (
    select
        {{ ped_person_key('person_xref.person_key', 'cohort_members.student_id') }} as person_key,
        cast(cohort_members.cohort_year as integer) as cohort_year,
        cohort_members.student_id,
        cohort_members.district_code,
        cohort_members.outcome,
        cast(cohort_members.years_to_outcome as integer) as years_to_outcome,
        coalesce(outcome_priority.priority, 0) as priority
    from cohort_members
    left join person_xref
        on
            person_xref.system = 'PED'
            and cohort_members.student_id = person_xref.system_id
    left join outcome_priority
        on cohort_members.outcome = outcome_priority.outcome
),

members as (
    select
        linked.person_key,
        linked.cohort_year,
        arg_max(
            {
                'outcome': linked.outcome, 'years_to_outcome': linked.years_to_outcome,
                'district_code': linked.district_code
            },
            {
                'priority': linked.priority, 'fast': -coalesce(linked.years_to_outcome, 99),
                'student_id': linked.student_id
            }
        ) as chosen
    from linked
    group by linked.person_key, linked.cohort_year
),

cohort_involvement as (
    select
        members.person_key,
        members.cohort_year,
        coalesce(bool_or(involvement_years.is_ps), false) as is_ps,
        coalesce(bool_or(involvement_years.is_ps_custody), false) as is_ps_custody,
        coalesce(bool_or(involvement_years.is_jj), false) as is_jj,
        coalesce(bool_or(involvement_years.is_court_involved), false) as is_court_involved
    from members
    left join involvement_years
        on
            members.person_key = involvement_years.person_key
            and involvement_years.school_year between members.cohort_year - 3 and members.cohort_year
    group by members.person_key, members.cohort_year
),

latest_snapshot as (
    -- Demographics from the latest school year up to the cohort year.
    select
        members.person_key,
        members.cohort_year,
        arg_max(
            {
                'sex': snapshot_years.sex, 'race_ethnicity': snapshot_years.race_ethnicity,
                'district_code': snapshot_years.district_code
            },
            snapshot_years.school_year
        ) as demographics
    from members
    inner join snapshot_years
        on
            members.person_key = snapshot_years.person_key
            and members.cohort_year >= snapshot_years.school_year
    group by members.person_key, members.cohort_year
),

research_ids as (
    select
        distinct_keys.person_key,
        research_id(distinct_keys.person_key) as research_id
    from (select distinct members.person_key from members) as distinct_keys
),

final as (
    select
        research_ids.research_id,
        members.cohort_year,
        members.chosen.outcome,
        members.chosen.years_to_outcome,
        coalesce(members.chosen.outcome not in ('TRANSFERRED_OUT', 'DECEASED'), false) as is_in_denominator,
        coalesce(members.chosen.outcome = 'GRADUATED' and members.chosen.years_to_outcome = 4, false)
            as is_graduated_4yr,
        coalesce(latest_snapshot.demographics.sex, 'UNKNOWN') as sex,
        coalesce(latest_snapshot.demographics.race_ethnicity, 'UNKNOWN') as race_ethnicity,
        ped_districts.county_fips,
        nm_counties.county_name,
        cohort_involvement.is_ps,
        cohort_involvement.is_ps_custody,
        cohort_involvement.is_jj,
        cohort_involvement.is_ps and cohort_involvement.is_jj as is_dual,
        cohort_involvement.is_court_involved,
        not(cohort_involvement.is_ps or cohort_involvement.is_jj) as is_not_involved
    from members
    inner join research_ids
        on members.person_key = research_ids.person_key
    inner join cohort_involvement
        on
            members.person_key = cohort_involvement.person_key
            and members.cohort_year = cohort_involvement.cohort_year
    left join latest_snapshot
        on
            members.person_key = latest_snapshot.person_key
            and members.cohort_year = latest_snapshot.cohort_year
    left join ped_districts
        on
            coalesce(members.chosen.district_code, latest_snapshot.demographics.district_code)
            = ped_districts.district_code
    left join nm_counties
        on ped_districts.county_fips = nm_counties.county_fips
)

select * from final
