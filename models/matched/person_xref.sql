-- The person index: one row per id of CYFD, PED and AOC and the person it
-- belongs to. Same shape as the generator's truth/person_xref.csv.
with person_clusters as (
    select * from {{ ref('int_linkage__person_clusters') }}
),

final as (
    select
        person_clusters.system,
        person_clusters.system_id,
        person_clusters.person_key,
        person_clusters.link_method,
        person_clusters.match_probability,
        person_clusters.match_band
    from person_clusters
)

select * from final
