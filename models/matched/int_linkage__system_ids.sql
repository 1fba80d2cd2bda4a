-- Every id of the three systems, whether or not it carries identifying items:
-- ids seen only in activity tables (an enrollment without a snapshot, a case
-- whose party row is missing) are persons of their own in person_xref, so
-- that nothing downstream silently drops their rows.
with cyfd_persons as (select person_id from {{ ref('stg_cyfd__persons') }}),

cyfd_aliases as (select person_id from {{ ref('stg_cyfd__person_aliases') }}),

ps_reports as (select person_id from {{ ref('stg_cyfd__ps_reports') }}),

ps_placements as (select person_id from {{ ref('stg_cyfd__ps_placements') }}),

jjs_referrals as (select person_id from {{ ref('stg_cyfd__jjs_referrals') }}),

jjs_supervisions as (select person_id from {{ ref('stg_cyfd__jjs_supervisions') }}),

caseloads as (select person_id from {{ ref('stg_cyfd__caseloads') }}),

releases as (select person_id from {{ ref('stg_cyfd__releases') }}),

student_snapshots as (select student_id from {{ ref('stg_ped__student_snapshots') }}),

enrollments as (select student_id from {{ ref('stg_ped__enrollments') }}),

attendance as (select student_id from {{ ref('stg_ped__attendance') }}),

discipline_incidents as (select student_id from {{ ref('stg_ped__discipline_incidents') }}),

assessments as (select student_id from {{ ref('stg_ped__assessments') }}),

graduation_cohort_members as (select student_id from {{ ref('stg_ped__graduation_cohort_members') }}),

aoc_parties as (select party_id from {{ ref('stg_aoc__parties') }}),

aoc_cases as (select party_id from {{ ref('stg_aoc__cases') }}),

cyfd_ids as (
    select person_id as system_id from cyfd_persons
    union
    select person_id from cyfd_aliases
    union
    select person_id from ps_reports
    union
    select person_id from ps_placements
    union
    select person_id from jjs_referrals
    union
    select person_id from jjs_supervisions
    union
    select person_id from caseloads
    union
    select person_id from releases
),

ped_ids as (
    select student_id as system_id from student_snapshots
    union
    select student_id from enrollments
    union
    select student_id from attendance
    union
    select student_id from discipline_incidents
    union
    select student_id from assessments
    union
    select student_id from graduation_cohort_members
),

aoc_ids as (
    select party_id as system_id from aoc_parties
    union
    select party_id from aoc_cases
),

all_ids as (
    select
        'CYFD' as system,
        system_id
    from cyfd_ids
    union all
    select
        'PED' as system,
        system_id
    from ped_ids
    union all
    select
        'AOC' as system,
        system_id
    from aoc_ids
),

final as (
    select
        system || ':' || system_id as system_id_key,
        system,
        system_id
    from all_ids
    where system_id is not null
)

select * from final
