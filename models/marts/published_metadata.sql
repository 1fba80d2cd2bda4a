{#- One row of publication metadata, published with the marts: the kind of
    research key the ids were built under (demo outputs are marked) and the
    disclosure settings in force. -#}

with build_info as (
    select * from {{ ref('deid_build_info') }}
),

final as (
    select
        build_info.research_key_mode,
        build_info.is_demo_build,
        build_info.suppression_threshold,
        build_info.governance_k,
        cast({{ var('complementary_suppression_rounds') }} as integer) as complementary_suppression_rounds
    from build_info
)

select * from final
