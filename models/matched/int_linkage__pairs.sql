-- Candidate links between two ids (system_id_key = SYSTEM:system_id), from the
-- model, the deterministic rules and clerical decisions, with what each says.
-- The model's score of a pair of ids is that of its best pair of identities.
-- Band: auto at or above the auto threshold, or when the pair is each side's
-- single best candidate in the other's system (mutual best) from the lower
-- mutual-best threshold on; review from the review threshold; thresholds in
-- src/datashare/linkage/settings.py (via int_linkage__settings). Two PED ids
-- reported in the same snapshot are never linked (edge_type 'concurrent').
with scored_pairs as (
    select * from {{ ref('int_linkage__scored_pairs') }}
),

deterministic_pairs as (
    select * from {{ ref('int_linkage__deterministic_pairs') }}
),

review_decisions as (
    select * from {{ ref('int_linkage__review_decisions') }}
),

linkage_settings as (
    select * from {{ ref('int_linkage__settings') }}
),

student_snapshots as (
    select * from {{ ref('stg_ped__student_snapshots') }}
),

scored_ordered as (
    select
        least(system_l || ':' || system_id_l, system_r || ':' || system_id_r) as system_id_key_l,
        greatest(system_l || ':' || system_id_l, system_r || ':' || system_id_r) as system_id_key_r,
        match_probability,
        match_weight
    from scored_pairs
),

best_scores as (
    select
        system_id_key_l,
        system_id_key_r,
        split_part(system_id_key_l, ':', 1) as system_l,
        split_part(system_id_key_r, ':', 1) as system_r,
        max(match_probability) as match_probability,
        max(match_weight) as match_weight
    from scored_ordered
    group by system_id_key_l, system_id_key_r
),

-- between two systems: is the pair each side's single best candidate in the other system?
ranked_scores as (
    select
        best_scores.*,
        rank() over (
            partition by best_scores.system_id_key_l, best_scores.system_r
            order by best_scores.match_probability desc
        ) as rank_for_l,
        rank() over (
            partition by best_scores.system_id_key_r, best_scores.system_l
            order by best_scores.match_probability desc
        ) as rank_for_r,
        count(*) over (
            partition by best_scores.system_id_key_l, best_scores.system_r, best_scores.match_probability
        ) as ties_for_l,
        count(*) over (
            partition by best_scores.system_id_key_r, best_scores.system_l, best_scores.match_probability
        ) as ties_for_r
    from best_scores
),

snapshot_periods as (
    select distinct
        'PED:' || student_snapshots.student_id as system_id_key,
        student_snapshots.school_year,
        student_snapshots.snapshot
    from student_snapshots
),

-- two PED ids reported in the same snapshot (school year and period) are two
-- children enrolled at the same time, never one child with a duplicate id
concurrent_ped_pairs as (
    select distinct
        best_scores.system_id_key_l,
        best_scores.system_id_key_r
    from best_scores
    inner join snapshot_periods as periods_l
        on best_scores.system_id_key_l = periods_l.system_id_key
    inner join snapshot_periods as periods_r
        on
            best_scores.system_id_key_r = periods_r.system_id_key
            and periods_l.school_year = periods_r.school_year
            and periods_l.snapshot = periods_r.snapshot
    where best_scores.system_l = 'PED' and best_scores.system_r = 'PED'
),

model_pairs as (
    select
        ranked_scores.system_id_key_l,
        ranked_scores.system_id_key_r,
        ranked_scores.match_probability,
        ranked_scores.match_weight,
        (
            ranked_scores.rank_for_l = 1
            and ranked_scores.rank_for_r = 1
            and ranked_scores.ties_for_l = 1
            and ranked_scores.ties_for_r = 1
        ) as is_mutual_best,
        concurrent_ped_pairs.system_id_key_l is not null as is_concurrent,
        case
            when concurrent_ped_pairs.system_id_key_l is not null then 'none'
            when ranked_scores.match_probability >= linkage_settings.auto_match_probability then 'auto'
            when
                ranked_scores.rank_for_l = 1
                and ranked_scores.rank_for_r = 1
                and ranked_scores.ties_for_l = 1
                and ranked_scores.ties_for_r = 1
                and ranked_scores.match_probability >= linkage_settings.mutual_best_min_probability
                then 'auto'
            when ranked_scores.match_probability >= linkage_settings.review_min_probability then 'review'
            else 'none'
        end as model_band
    from ranked_scores
    cross join linkage_settings
    left join concurrent_ped_pairs
        on
            ranked_scores.system_id_key_l = concurrent_ped_pairs.system_id_key_l
            and ranked_scores.system_id_key_r = concurrent_ped_pairs.system_id_key_r
),

pair_keys as (
    select
        system_id_key_l,
        system_id_key_r
    from model_pairs
    union
    select
        system_id_key_l,
        system_id_key_r
    from deterministic_pairs
    union
    select
        system_id_key_l,
        system_id_key_r
    from review_decisions
),

final as (
    select
        pair_keys.system_id_key_l,
        pair_keys.system_id_key_r,
        split_part(pair_keys.system_id_key_l, ':', 1) as system_l,
        split_part(pair_keys.system_id_key_r, ':', 1) as system_r,
        model_pairs.match_probability,
        model_pairs.match_weight,
        coalesce(model_pairs.is_mutual_best, false) as is_mutual_best,
        coalesce(model_pairs.is_concurrent, false) as is_concurrent,
        coalesce(model_pairs.model_band, 'none') as model_band,
        deterministic_pairs.link_rule as deterministic_rule,
        review_decisions.decision,
        review_decisions.decided_by,
        review_decisions.decided_at,
        case
            when review_decisions.decision = 'match' then 'clerical'
            when review_decisions.decision = 'no_match' then 'rejected'
            when deterministic_pairs.link_rule is not null then 'deterministic'
            when model_pairs.is_concurrent then 'concurrent'
            when model_pairs.model_band = 'auto' then 'probabilistic'
            when model_pairs.model_band = 'review' then 'review'
            else 'none'
        end as edge_type
    from pair_keys
    left join model_pairs
        on
            pair_keys.system_id_key_l = model_pairs.system_id_key_l
            and pair_keys.system_id_key_r = model_pairs.system_id_key_r
    left join deterministic_pairs
        on
            pair_keys.system_id_key_l = deterministic_pairs.system_id_key_l
            and pair_keys.system_id_key_r = deterministic_pairs.system_id_key_r
    left join review_decisions
        on
            pair_keys.system_id_key_l = review_decisions.system_id_key_l
            and pair_keys.system_id_key_r = review_decisions.system_id_key_r
)

select * from final
