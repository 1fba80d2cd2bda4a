{#- One row describing the build of the de-identified layer: under which
    kind of research key the ids were derived ('demo' marks outputs built
    with the named demo key, which must never be used for real data). -#}

with final as (
    select
        research_key_mode() as research_key_mode,
        research_key_mode() = 'demo' as is_demo_build,
        cast({{ var('suppression_threshold') }} as integer) as suppression_threshold,
        cast({{ var('governance_k') }} as integer) as governance_k
)

select * from final
