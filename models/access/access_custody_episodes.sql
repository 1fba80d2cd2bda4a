-- CYFD custody episodes: the placements sharing a removal date form one
-- episode, from the removal (or first placement) to the end of its last
-- placement; open while any of its placements is open. A placement without a
-- removal date is an episode of its own.
with placements as (
    select * from {{ ref('stg_cyfd__ps_placements') }}
),

keyed as (
    select
        placements.person_id,
        coalesce(placements.removal_date, placements.start_date) as removal_date,
        placements.start_date,
        placements.end_date
    from placements
    where
        placements.person_id is not null
        and coalesce(placements.removal_date, placements.start_date) is not null
),

episodes as (
    select
        keyed.person_id,
        keyed.removal_date,
        min(keyed.start_date) as first_placement_start_date,
        max(keyed.end_date) as last_placement_end_date,
        bool_or(keyed.end_date is null) as has_open_placement,
        count(*) as placements
    from keyed
    group by keyed.person_id, keyed.removal_date
),

final as (
    select
        episodes.person_id,
        episodes.removal_date,
        least(episodes.removal_date, coalesce(episodes.first_placement_start_date, episodes.removal_date))
            as custody_start_date,
        case when not episodes.has_open_placement then episodes.last_placement_end_date end
            as custody_end_date,
        episodes.has_open_placement as is_open,
        episodes.placements
    from episodes
)

select * from final
