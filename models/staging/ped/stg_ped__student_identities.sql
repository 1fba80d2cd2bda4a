with snapshots as (
    select * from {{ ref('stg_ped__student_snapshots') }}
),

-- One row per student id and distinct identity (standardized names, birth
-- date, sex, SSN) across snapshots and school years. The originals shown are
-- those of the latest snapshot that carries the identity.
identity_spans as (
    select
        snapshots.student_id,
        snapshots.first_name,
        snapshots.middle_name,
        snapshots.last_name,
        snapshots.name_suffix,
        snapshots.first_name_std,
        snapshots.middle_name_std,
        snapshots.last_name_std,
        snapshots.name_suffix_std,
        snapshots.last_name_tokens,
        snapshots.birth_date,
        snapshots.sex,
        snapshots.ssn_std,
        min(snapshots.school_year) over identity as first_school_year,
        max(snapshots.school_year) over identity as last_school_year,
        count(*) over identity as snapshot_count
    from snapshots
    window
        identity as (
            partition by
                snapshots.student_id,
                snapshots.first_name_std,
                snapshots.middle_name_std,
                snapshots.last_name_std,
                snapshots.name_suffix_std,
                snapshots.birth_date,
                snapshots.sex,
                snapshots.ssn_std
        )
    qualify row_number() over (
        identity
        order by snapshots.school_year desc, snapshots.snapshot_order desc
    ) = 1
),

final as (
    select
        'PED:' || {{ surrogate_key([
            'identity_spans.student_id',
            'identity_spans.first_name_std',
            'identity_spans.middle_name_std',
            'identity_spans.last_name_std',
            'identity_spans.name_suffix_std',
            'identity_spans.birth_date',
            'identity_spans.sex',
            'identity_spans.ssn_std',
        ]) }} as identity_id,
        'PED' as system,
        identity_spans.student_id as system_id,
        'snapshot' as identity_source,
        identity_spans.first_name,
        identity_spans.middle_name,
        identity_spans.last_name,
        identity_spans.name_suffix,
        identity_spans.first_name_std,
        identity_spans.middle_name_std,
        identity_spans.last_name_std,
        identity_spans.name_suffix_std,
        identity_spans.last_name_tokens,
        identity_spans.birth_date,
        identity_spans.sex,
        identity_spans.ssn_std as ssn,
        identity_spans.first_school_year,
        identity_spans.last_school_year,
        identity_spans.snapshot_count
    from identity_spans
)

select * from final
