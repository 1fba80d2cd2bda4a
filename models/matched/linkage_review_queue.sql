-- Pairs of ids awaiting a clerical decision: the model put them in the review
-- band, or auto-linked them but the one-to-one rule kept them apart (a
-- conflict). Both records side by side (the best-scoring pair of their
-- identities) with the match weight of each comparison. Decided pairs leave
-- the queue; record decisions with `datashare review-linkage decide`.
with pairs as (
    select * from {{ ref('int_linkage__pairs') }}
),

scored_pairs as (
    select * from {{ ref('int_linkage__scored_pairs') }}
),

identities as (
    select * from {{ ref('int_linkage__identities') }}
),

person_xref as (
    select * from {{ ref('person_xref') }}
),

open_pairs as (
    select
        pairs.system_id_key_l,
        pairs.system_id_key_r,
        pairs.match_probability,
        pairs.match_weight,
        case
            when pairs.model_band = 'review' then 'review_band'
            else 'one_to_one_conflict'
        end as reason
    from pairs
    inner join person_xref as xref_l
        on pairs.system_id_key_l = xref_l.system || ':' || xref_l.system_id
    inner join person_xref as xref_r
        on pairs.system_id_key_r = xref_r.system || ':' || xref_r.system_id
    where
        pairs.decision is null
        and pairs.deterministic_rule is null
        and xref_l.person_key != xref_r.person_key
        and pairs.model_band in ('review', 'auto')
),

scored_ordered as (
    select
        scored_pairs.*,
        (scored_pairs.system_l || ':' || scored_pairs.system_id_l)
        <= (scored_pairs.system_r || ':' || scored_pairs.system_id_r) as in_order
    from scored_pairs
),

best_identity_pairs as (
    select
        case when in_order then system_l || ':' || system_id_l else system_r || ':' || system_id_r end
            as system_id_key_l,
        case when in_order then system_r || ':' || system_id_r else system_l || ':' || system_id_l end
            as system_id_key_r,
        case when in_order then identity_id_l else identity_id_r end as identity_id_l,
        case when in_order then identity_id_r else identity_id_l end as identity_id_r,
        mw_first_name,
        mw_last_name,
        mw_birth_date,
        mw_ssn,
        mw_middle_name
    from scored_ordered
    qualify row_number() over (
        partition by system_id_key_l, system_id_key_r
        order by match_probability desc, identity_id_l asc, identity_id_r asc
    ) = 1
),

final as (
    select
        open_pairs.system_id_key_l,
        open_pairs.system_id_key_r,
        open_pairs.reason,
        open_pairs.match_probability,
        open_pairs.match_weight,
        identity_l.first_name as first_name_l,
        identity_r.first_name as first_name_r,
        best_identity_pairs.mw_first_name,
        identity_l.middle_name as middle_name_l,
        identity_r.middle_name as middle_name_r,
        best_identity_pairs.mw_middle_name,
        identity_l.last_name as last_name_l,
        identity_r.last_name as last_name_r,
        best_identity_pairs.mw_last_name,
        identity_l.birth_date as birth_date_l,
        identity_r.birth_date as birth_date_r,
        best_identity_pairs.mw_birth_date,
        identity_l.ssn_last4 as ssn_last4_l,
        identity_r.ssn_last4 as ssn_last4_r,
        best_identity_pairs.mw_ssn,
        identity_l.sex as sex_l,
        identity_r.sex as sex_r,
        identity_l.identity_source as identity_source_l,
        identity_r.identity_source as identity_source_r
    from open_pairs
    inner join best_identity_pairs
        on
            open_pairs.system_id_key_l = best_identity_pairs.system_id_key_l
            and open_pairs.system_id_key_r = best_identity_pairs.system_id_key_r
    inner join identities as identity_l
        on best_identity_pairs.identity_id_l = identity_l.identity_id
    inner join identities as identity_r
        on best_identity_pairs.identity_id_r = identity_r.identity_id
)

select * from final
