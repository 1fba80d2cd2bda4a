{{ config(access='private', schema='matched') }}

{#- One row per linked person and school year in which the person is
    PS-involved, JJ-involved or court-involved (research design, group
    rules): a PS report dated in the year (any finding), an out-of-home
    placement overlapping it (also: in custody), a JJS referral dated in it,
    a JJS supervision of any type overlapping it, an AOC abuse/neglect or
    delinquency case open on any day of it. School years run 1 July - 30
    June; a period overlaps when it starts on or before 30 June and is
    open or ends on or after 1 July. Years covered: every school year of the
    PED data and the four years of every graduation cohort. -#}

with ps_reports as (
    select * from {{ ref('stg_cyfd__ps_reports') }}
),

ps_placements as (
    select * from {{ ref('stg_cyfd__ps_placements') }}
),

jjs_referrals as (
    select * from {{ ref('stg_cyfd__jjs_referrals') }}
),

jjs_supervisions as (
    select * from {{ ref('stg_cyfd__jjs_supervisions') }}
),

aoc_cases as (
    select * from {{ ref('stg_aoc__cases') }}
),

snapshots as (
    select * from {{ ref('stg_ped__student_snapshots') }}
),

enrollments as (
    select * from {{ ref('stg_ped__enrollments') }}
),

cohort_members as (
    select * from {{ ref('stg_ped__graduation_cohort_members') }}
),

person_xref as (
    select * from {{ ref('person_xref') }}
),

cohort_years as (
    select distinct cohort_members.cohort_year
    from cohort_members
),

school_years as (
    select distinct cast(snapshots.school_year as integer) as school_year from snapshots
    union
    select distinct cast(enrollments.school_year as integer) as school_year from enrollments
    union
    select distinct cast(cohort_years.cohort_year - year_offsets.years_before as integer) as school_year
    from cohort_years
    cross join (values (0), (1), (2), (3)) as year_offsets (years_before)
),

events as (
    select
        ps_reports.person_id as system_id,
        'CYFD' as system,
        cast({{ school_year_of('ps_reports.report_date') }} as integer) as school_year,
        'ps_report' as event_kind
    from ps_reports
    where ps_reports.report_date is not null

    union all

    select
        ps_placements.person_id as system_id,
        'CYFD' as system,
        school_years.school_year,
        'ps_placement' as event_kind
    from ps_placements
    inner join school_years
        on {{ overlaps_school_year('ps_placements.start_date', 'ps_placements.end_date', 'school_years.school_year') }}

    union all

    select
        jjs_referrals.person_id as system_id,
        'CYFD' as system,
        cast({{ school_year_of('jjs_referrals.referral_date') }} as integer) as school_year,
        'jjs_referral' as event_kind
    from jjs_referrals
    where jjs_referrals.referral_date is not null

    union all

    select
        jjs_supervisions.person_id as system_id,
        'CYFD' as system,
        school_years.school_year,
        'jjs_supervision' as event_kind
    from jjs_supervisions
    inner join school_years
        on
            {{ overlaps_school_year(
                'jjs_supervisions.start_date', 'jjs_supervisions.end_date', 'school_years.school_year'
            ) }}

    union all

    select
        aoc_cases.party_id as system_id,
        'AOC' as system,
        school_years.school_year,
        'court_case' as event_kind
    from aoc_cases
    inner join school_years
        on {{ overlaps_school_year('aoc_cases.filing_date', 'aoc_cases.closed_date', 'school_years.school_year') }}
    where aoc_cases.case_type in ('ABUSE_NEGLECT', 'DELINQUENCY')
),

linked as (
    select
        person_xref.person_key,
        events.school_year,
        events.event_kind
    from events
    inner join person_xref
        on
            events.system = person_xref.system
            and events.system_id = person_xref.system_id
),

final as (
    select
        linked.person_key,
        linked.school_year,
        bool_or(linked.event_kind in ('ps_report', 'ps_placement')) as is_ps,
        bool_or(linked.event_kind = 'ps_placement') as is_ps_custody,
        bool_or(linked.event_kind in ('jjs_referral', 'jjs_supervision')) as is_jj,
        bool_or(linked.event_kind = 'court_case') as is_court_involved
    from linked
    inner join school_years
        on linked.school_year = school_years.school_year
    group by linked.person_key, linked.school_year
)

select * from final
