-- Linkage quality of every build, without ground truth:
--   match_rate                share of the ids of `system` linked to at least
--                             one id of `linked_system` (PED -> PED: share of
--                             PED ids that share their person with another PED
--                             id, i.e. duplicate ids);
--   review_band_share         share of the ids of `system` left unlinked with
--                             a candidate in the clerical review band;
--   probability_distribution  scored pairs of ids (`system` - `linked_system`)
--                             by match-probability bin of 0.05.
-- Match rates and review shares are broken down by age band (age on the last
-- 30 June of the PED data), county (latest event of the id) and involvement
-- group (CYFD: PS, JJ, DUAL; AOC: case types); PED county: district of the latest enrollment.
with person_xref as (
    select * from {{ ref('person_xref') }}
),

identities as (
    select * from {{ ref('int_linkage__identities') }}
),

pairs as (
    select * from {{ ref('int_linkage__pairs') }}
),

ps_reports as (
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

student_snapshots as (
    select * from {{ ref('stg_ped__student_snapshots') }}
),

enrollments as (
    select * from {{ ref('stg_ped__enrollments') }}
),

ped_districts as (
    select * from {{ ref('ped_districts') }}
),

reference_date as (
    select coalesce(make_date(max(student_snapshots.school_year), 6, 30), current_date) as as_of
    from student_snapshots
),

id_birth_dates as (
    select
        identities.system_id_key,
        min(identities.birth_date) as birth_date
    from identities
    group by identities.system_id_key
),

cyfd_events as (
    select
        person_id,
        report_date as event_date,
        county_fips,
        'PS' as involvement
    from ps_reports
    union all
    select
        person_id,
        start_date as event_date,
        county_fips,
        'PS' as involvement
    from ps_placements
    union all
    select
        person_id,
        referral_date as event_date,
        county_fips,
        'JJ' as involvement
    from jjs_referrals
    union all
    select
        person_id,
        start_date as event_date,
        county_fips,
        'JJ' as involvement
    from jjs_supervisions
),

cyfd_context as (
    select
        'CYFD:' || cyfd_events.person_id as system_id_key,
        arg_max(cyfd_events.county_fips, cyfd_events.event_date) as county_fips,
        case
            when bool_or(cyfd_events.involvement = 'PS') and bool_or(cyfd_events.involvement = 'JJ') then 'DUAL'
            when bool_or(cyfd_events.involvement = 'PS') then 'PS'
            else 'JJ'
        end as involvement_group
    from cyfd_events
    group by cyfd_events.person_id
),

aoc_context as (
    select
        'AOC:' || aoc_cases.party_id as system_id_key,
        arg_max(aoc_cases.county_fips, aoc_cases.filing_date) as county_fips,
        array_to_string(list_sort(list_distinct(list(aoc_cases.case_type))), '+') as involvement_group
    from aoc_cases
    group by aoc_cases.party_id
),

ped_context as (
    select
        'PED:' || enrollments.student_id as system_id_key,
        arg_max(ped_districts.county_fips, enrollments.entry_date) as county_fips,
        'STUDENT' as involvement_group
    from enrollments
    left join ped_districts
        on enrollments.district_code = ped_districts.district_code
    group by enrollments.student_id
),

id_context as (
    select * from cyfd_context
    union all
    select * from aoc_context
    union all
    select * from ped_context
),

person_systems as (
    select
        person_key,
        count(*) filter (where system = 'CYFD') as cyfd_ids,
        count(*) filter (where system = 'PED') as ped_ids,
        count(*) filter (where system = 'AOC') as aoc_ids
    from person_xref
    group by person_key
),

ids as (
    select
        person_xref.system || ':' || person_xref.system_id as system_id_key,
        person_xref.system,
        person_xref.match_band,
        person_xref.link_method,
        person_systems.cyfd_ids,
        person_systems.ped_ids,
        person_systems.aoc_ids,
        case
            when id_birth_dates.birth_date is null then 'unknown'
            when date_diff('year', id_birth_dates.birth_date, reference_date.as_of) < 5 then '00-04'
            when date_diff('year', id_birth_dates.birth_date, reference_date.as_of) < 11 then '05-10'
            when date_diff('year', id_birth_dates.birth_date, reference_date.as_of) < 14 then '11-13'
            when date_diff('year', id_birth_dates.birth_date, reference_date.as_of) < 18 then '14-17'
            else '18+'
        end as age_band,
        coalesce(id_context.county_fips, 'unknown') as county_fips,
        coalesce(id_context.involvement_group, 'none recorded') as involvement_group
    from person_xref
    inner join person_systems
        on person_xref.person_key = person_systems.person_key
    cross join reference_date
    left join id_birth_dates
        on person_xref.system || ':' || person_xref.system_id = id_birth_dates.system_id_key
    left join id_context
        on person_xref.system || ':' || person_xref.system_id = id_context.system_id_key
),

id_dimensions as (
    select
        system_id_key,
        'all' as dimension,
        'all' as dimension_value
    from ids
    union all
    select
        system_id_key,
        'age_band' as dimension,
        age_band as dimension_value
    from ids
    union all
    select
        system_id_key,
        'county' as dimension,
        county_fips as dimension_value
    from ids
    union all
    select
        system_id_key,
        'involvement_group' as dimension,
        involvement_group as dimension_value
    from ids
),

systems as (
    select unnest(['CYFD', 'PED', 'AOC']) as linked_system
),

id_targets as (
    select
        ids.system_id_key,
        ids.system,
        targets.linked_system,
        case targets.linked_system
            when 'CYFD' then ids.cyfd_ids - (ids.system = 'CYFD')::int
            when 'PED' then ids.ped_ids - (ids.system = 'PED')::int
            when 'AOC' then ids.aoc_ids - (ids.system = 'AOC')::int
        end > 0 as is_linked
    from ids
    cross join systems as targets
    -- within one system only PED issues several ids to one person
    where ids.system != targets.linked_system or ids.system = 'PED'
),

match_rates as (
    select
        'match_rate' as measure,
        id_targets.system,
        id_targets.linked_system,
        id_dimensions.dimension,
        id_dimensions.dimension_value,
        count(*) filter (where id_targets.is_linked) as numerator,
        count(*) as denominator
    from id_targets
    inner join id_dimensions
        on id_targets.system_id_key = id_dimensions.system_id_key
    group by all
),

review_shares as (
    select
        'review_band_share' as measure,
        ids.system,
        null as linked_system,
        id_dimensions.dimension,
        id_dimensions.dimension_value,
        count(*) filter (where ids.match_band = 'review' and ids.link_method = 'unlinked') as numerator,
        count(*) as denominator
    from ids
    inner join id_dimensions
        on ids.system_id_key = id_dimensions.system_id_key
    group by all
),

pair_bins as (
    select
        pairs.system_l,
        pairs.system_r,
        floor(least(pairs.match_probability, 0.999999) * 20) / 20 as bin_start
    from pairs
    where pairs.match_probability is not null
),

bin_counts as (
    select
        system_l,
        system_r,
        bin_start,
        count(*) as pairs_in_bin
    from pair_bins
    group by system_l, system_r, bin_start
),

probability_bins as (
    select
        'probability_distribution' as measure,
        system_l as system,
        system_r as linked_system,
        'probability_bin' as dimension,
        printf('%.2f-%.2f', bin_start, bin_start + 0.05) as dimension_value,
        pairs_in_bin as numerator,
        sum(pairs_in_bin) over (partition by system_l, system_r) as denominator
    from bin_counts
),

all_measures as (
    select * from match_rates
    union all
    select * from review_shares
    union all
    select * from probability_bins
),

final as (
    select
        measure,
        system,
        linked_system,
        dimension,
        dimension_value,
        numerator,
        denominator,
        round(numerator / nullif(denominator, 0), 6) as rate
    from all_measures
)

select * from final
