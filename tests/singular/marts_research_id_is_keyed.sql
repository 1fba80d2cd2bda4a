{#- The research id is a keyed hash, not a plain one. For a probe value,
    research_id() must differ from its plain SHA-256 and from its HMAC under
    another key ('another-research-key-0123456789', precomputed below), and
    under the demo key it must equal the demo key's HMAC (so the function
    really is HMAC-SHA256 of its input under the configured key). Spine and
    cohort ids must be 64 hex digits. tests/python/test_marts.py also
    rebuilds ids under two keys and checks they are unrelated. -#}
{{ config(tags=['privacy']) }}

with probe as (
    select
        research_id('datashare-probe') as keyed,
        sha256('datashare-probe') as plain_hash,
        research_key_mode() as key_mode
),

spine as (
    select * from {{ ref('deid_student_years') }}
),

cohort as (
    select * from {{ ref('deid_graduation_cohort') }}
)

select 'research_id equals the plain hash' as problem from probe
where probe.keyed = probe.plain_hash
union all
select 'research_id is not the HMAC under the demo key' as problem from probe
where probe.key_mode = 'demo' and probe.keyed <> '6030eb826f897d5d5b55e3168918bd30fa0ef567bc495058882e55365be138d9'
union all
select 'research_id equals the HMAC under another key' as problem from probe
where probe.keyed = 'd55d6bb4c049e10a436cd590959125ac8cef03a9f49fb489aa8e8fc7967ceadf'
union all
select 'spine research_id is not 64 hex digits' as problem from spine
where not regexp_full_match(spine.research_id, '[0-9a-f]{64}')
union all
select 'cohort research_id is not 64 hex digits' as problem from cohort
where not regexp_full_match(cohort.research_id, '[0-9a-f]{64}')
