with persons as (
    select * from {{ ref('stg_cyfd__persons') }}
),

aliases as (
    select * from {{ ref('stg_cyfd__person_aliases') }}
),

person_rows as (
    select
        persons.person_id as system_id,
        'person' as identity_source,
        0 as source_order,
        persons._line_number as source_line,
        persons.first_name,
        persons.middle_name,
        persons.last_name,
        persons.name_suffix,
        persons.first_name_std,
        persons.middle_name_std,
        persons.last_name_std,
        persons.name_suffix_std,
        persons.last_name_tokens,
        persons.birth_date,
        persons.sex_std as sex,
        persons.ssn_std as ssn
    from persons
),

-- An alias carries its own names; its birth date is the client's unless the
-- alias records another; sex and SSN are the client's.
alias_rows as (
    select
        aliases.person_id as system_id,
        'alias' as identity_source,
        1 as source_order,
        aliases._line_number as source_line,
        aliases.first_name,
        cast(null as varchar) as middle_name,
        aliases.last_name,
        cast(null as varchar) as name_suffix,
        aliases.first_name_std,
        aliases.middle_name_std,
        aliases.last_name_std,
        aliases.name_suffix_std,
        aliases.last_name_tokens,
        coalesce(aliases.birth_date, persons.birth_date) as birth_date,
        persons.sex_std as sex,
        persons.ssn_std as ssn
    from aliases
    left join persons
        on aliases.person_id = persons.person_id
),

all_rows as (
    select * from person_rows
    union all
    select * from alias_rows
),

-- One row per client and distinct identity (standardized names, birth date,
-- sex, SSN): the client's own row wins over an alias that says the same.
distinct_identities as (
    select
        all_rows.system_id,
        all_rows.identity_source,
        all_rows.first_name,
        all_rows.middle_name,
        all_rows.last_name,
        all_rows.name_suffix,
        all_rows.first_name_std,
        all_rows.middle_name_std,
        all_rows.last_name_std,
        all_rows.name_suffix_std,
        all_rows.last_name_tokens,
        all_rows.birth_date,
        all_rows.sex,
        all_rows.ssn
    from all_rows
    qualify row_number() over (
        partition by
            all_rows.system_id,
            all_rows.first_name_std,
            all_rows.middle_name_std,
            all_rows.last_name_std,
            all_rows.name_suffix_std,
            all_rows.birth_date,
            all_rows.sex,
            all_rows.ssn
        order by all_rows.source_order, all_rows.source_line
    ) = 1
),

final as (
    select
        'CYFD:' || {{ surrogate_key([
            'distinct_identities.system_id',
            'distinct_identities.first_name_std',
            'distinct_identities.middle_name_std',
            'distinct_identities.last_name_std',
            'distinct_identities.name_suffix_std',
            'distinct_identities.birth_date',
            'distinct_identities.sex',
            'distinct_identities.ssn',
        ]) }} as identity_id,
        'CYFD' as system,
        distinct_identities.system_id,
        distinct_identities.identity_source,
        distinct_identities.first_name,
        distinct_identities.middle_name,
        distinct_identities.last_name,
        distinct_identities.name_suffix,
        distinct_identities.first_name_std,
        distinct_identities.middle_name_std,
        distinct_identities.last_name_std,
        distinct_identities.name_suffix_std,
        distinct_identities.last_name_tokens,
        distinct_identities.birth_date,
        distinct_identities.sex,
        distinct_identities.ssn
    from distinct_identities
)

select * from final
