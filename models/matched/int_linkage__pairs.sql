-- Candidate links between two ids (system_id_key = SYSTEM:system_id), from the
-- model, the deterministic rules and clerical decisions, with what each says.
-- The model's score of a pair of ids is that of its best pair of identities.
with scored_pairs as (
    select * from {{ ref('int_linkage__scored_pairs') }}
),

deterministic_pairs as (
    select * from {{ ref('int_linkage__deterministic_pairs') }}
),

review_decisions as (
    select * from {{ ref('int_linkage__review_decisions') }}
),

scored_ordered as (
    select
        least(system_l || ':' || system_id_l, system_r || ':' || system_id_r) as system_id_key_l,
        greatest(system_l || ':' || system_id_l, system_r || ':' || system_id_r) as system_id_key_r,
        match_probability,
        match_weight,
        match_band
    from scored_pairs
),

model_pairs as (
    select
        system_id_key_l,
        system_id_key_r,
        max(match_probability) as match_probability,
        max(match_weight) as match_weight,
        arg_max(match_band, match_probability) as model_band
    from scored_ordered
    group by system_id_key_l, system_id_key_r
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
        coalesce(model_pairs.model_band, 'none') as model_band,
        deterministic_pairs.link_rule as deterministic_rule,
        review_decisions.decision,
        review_decisions.decided_by,
        review_decisions.decided_at,
        case
            when review_decisions.decision = 'match' then 'clerical'
            when review_decisions.decision = 'no_match' then 'rejected'
            when deterministic_pairs.link_rule is not null then 'deterministic'
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
