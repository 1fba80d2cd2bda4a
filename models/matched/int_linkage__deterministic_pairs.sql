-- Links that are certain without a model (rules listed in
-- src/datashare/linkage/settings.py, DETERMINISTIC_RULES):
--   ssn_birth_date        same 9-digit SSN and same birth date;
--   unique_full_identity  same standardized first and last name, birth date
--                         and sex (middle names agree when both have one), and
--                         in each of the two systems no other id carries that
--                         identity (so the pair is one-to-one).
-- Pairs are between systems, or within PED (duplicate ids) for the SSN rule.
with identities as (
    select * from {{ ref('int_linkage__identities') }}
),

ssn_pairs as (
    select distinct
        l.system_id_key as system_id_key_l,
        r.system_id_key as system_id_key_r,
        'ssn_birth_date' as link_rule
    from identities as l
    inner join identities as r
        on
            l.ssn = r.ssn
            and l.birth_date = r.birth_date
            and l.system_id_key < r.system_id_key
    where l.system != r.system or l.system = 'PED'
),

full_identities as (
    select distinct
        system,
        system_id_key,
        first_name_std,
        last_name_std,
        middle_name_std,
        birth_date,
        sex
    from identities
    where
        first_name_std is not null
        and last_name_std is not null
        and birth_date is not null
        and sex in ('M', 'F')
),

identity_holders as (
    select
        system,
        first_name_std,
        last_name_std,
        birth_date,
        sex,
        count(distinct system_id_key) as ids_holding
    from full_identities
    group by system, first_name_std, last_name_std, birth_date, sex
),

unique_identities as (
    select full_identities.*
    from full_identities
    inner join identity_holders
        on
            full_identities.system = identity_holders.system
            and full_identities.first_name_std = identity_holders.first_name_std
            and full_identities.last_name_std = identity_holders.last_name_std
            and full_identities.birth_date = identity_holders.birth_date
            and full_identities.sex = identity_holders.sex
    where identity_holders.ids_holding = 1
),

identity_pairs as (
    select distinct
        l.system_id_key as system_id_key_l,
        r.system_id_key as system_id_key_r,
        'unique_full_identity' as link_rule
    from unique_identities as l
    inner join unique_identities as r
        on
            l.first_name_std = r.first_name_std
            and l.last_name_std = r.last_name_std
            and l.birth_date = r.birth_date
            and l.sex = r.sex
            and l.system != r.system
            and l.system_id_key < r.system_id_key
    where
        l.middle_name_std is null
        or r.middle_name_std is null
        or left(l.middle_name_std, 1) = left(r.middle_name_std, 1)
),

all_pairs as (
    select * from ssn_pairs
    union all
    select * from identity_pairs
),

final as (
    select
        system_id_key_l,
        system_id_key_r,
        min(link_rule) as link_rule
    from all_pairs
    group by system_id_key_l, system_id_key_r
)

select * from final
