-- CYFD children linked to PED student ids through the matched layer: every
-- (CYFD person id, PED student id) pair sharing a person_key, with the
-- confidence of the weaker of the two records' links (a pair is only as sure
-- as its least sure record).
with xref as (
    select * from {{ ref('person_xref') }}
),

cyfd_records as (
    select
        xref.system_id as person_id,
        xref.person_key,
        xref.link_method,
        xref.match_probability,
        xref.match_band
    from xref
    where xref.system = 'CYFD'
),

ped_records as (
    select
        xref.system_id as student_id,
        xref.person_key,
        xref.link_method,
        xref.match_probability,
        xref.match_band
    from xref
    where xref.system = 'PED'
),

pairs as (
    select
        cyfd_records.person_id,
        ped_records.student_id,
        cyfd_records.person_key,
        cyfd_records.link_method as cyfd_link_method,
        cyfd_records.match_probability as cyfd_match_probability,
        cyfd_records.match_band as cyfd_match_band,
        ped_records.link_method as ped_link_method,
        ped_records.match_probability as ped_match_probability,
        ped_records.match_band as ped_match_band
    from cyfd_records
    inner join ped_records
        on cyfd_records.person_key = ped_records.person_key
),

-- Band ranks: auto 1 < review 2 < anything else 3 (the higher, the weaker).
weakest as (
    select
        pairs.person_id,
        pairs.student_id,
        pairs.person_key,
        pairs.cyfd_link_method,
        pairs.cyfd_match_probability,
        pairs.cyfd_match_band,
        pairs.ped_link_method,
        pairs.ped_match_probability,
        pairs.ped_match_band,
        case
            when pairs.cyfd_match_probability is null then pairs.ped_match_probability
            when pairs.ped_match_probability is null then pairs.cyfd_match_probability
            else least(pairs.cyfd_match_probability, pairs.ped_match_probability)
        end as link_probability,
        case pairs.cyfd_match_band when 'auto' then 1 when 'review' then 2 else 3 end as cyfd_band_rank,
        case pairs.ped_match_band when 'auto' then 1 when 'review' then 2 else 3 end as ped_band_rank
    from pairs
),

final as (
    select
        weakest.person_id,
        weakest.student_id,
        weakest.person_key,
        case
            when weakest.cyfd_band_rank > weakest.ped_band_rank then weakest.cyfd_link_method
            when weakest.ped_band_rank > weakest.cyfd_band_rank then weakest.ped_link_method
            when coalesce(weakest.cyfd_match_probability, 1) < coalesce(weakest.ped_match_probability, 1)
                then weakest.cyfd_link_method
            else weakest.ped_link_method
        end as link_method,
        weakest.link_probability,
        case
            when greatest(weakest.cyfd_band_rank, weakest.ped_band_rank) = 1 then 'auto'
            when greatest(weakest.cyfd_band_rank, weakest.ped_band_rank) = 2 then 'review'
            else 'none'
        end as link_band,
        weakest.cyfd_link_method,
        weakest.cyfd_match_probability,
        weakest.cyfd_match_band,
        weakest.ped_link_method,
        weakest.ped_match_probability,
        weakest.ped_match_band
    from weakest
)

select * from final
