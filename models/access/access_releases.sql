-- Signed releases of education records with the youth's birth date, which the
-- access decision needs to check who may sign (parent before 18, youth after).
with releases as (
    select * from {{ ref('stg_cyfd__releases') }}
),

persons as (
    select * from {{ ref('stg_cyfd__persons') }}
),

final as (
    select
        releases.release_id,
        releases.person_id,
        releases.signed_by,
        releases.signed_date,
        releases.expiration_date,
        releases.revoked_date,
        releases.scope,
        persons.birth_date as youth_birth_date
    from releases
    left join persons
        on releases.person_id = persons.person_id
    where releases.release_id is not null
)

select * from final
