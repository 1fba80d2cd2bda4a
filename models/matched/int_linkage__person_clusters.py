"""One row per id: the person it belongs to, after constrained clustering of the accepted links.

Clustering rules (datashare.linkage.score.cluster): clerical matches first,
then deterministic links, links within PED (duplicate ids), then links
between systems by falling probability; a person holds at most one CYFD and
one AOC id, a CYFD or AOC id joins at most one PED person, and a 'no_match'
decision, or two PED ids reported in the same snapshot (concurrent), keep
two ids apart.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    import pyarrow as pa

    from datashare.linkage.score import Edge, cluster

    nodes = [r[0] for r in dbt.ref("int_linkage__system_ids").project(
        "system_id_key").order("system_id_key").fetchall()]
    pairs = dbt.ref("int_linkage__pairs").project(
        "system_id_key_l, system_id_key_r, match_probability, edge_type").fetchall()
    edges, cannot_link, review = [], [], set()
    for key_l, key_r, prob, edge_type in pairs:
        if edge_type in ("clerical", "deterministic", "probabilistic"):
            probability = 1.0 if edge_type == "deterministic" else prob
            edges.append(Edge(key_l, key_r, probability, edge_type))
        elif edge_type in ("rejected", "concurrent"):
            cannot_link.append((key_l, key_r))
        elif edge_type == "review":
            review.update((key_l, key_r))
    rows = cluster(nodes, edges, cannot_link, review)
    return pa.table({
        "system_id_key": [r["system_id_key"] for r in rows],
        "system": [r["system_id_key"].split(":", 1)[0] for r in rows],
        "system_id": [r["system_id_key"].split(":", 1)[1] for r in rows],
        "person_key": [r["person_key"] for r in rows],
        "link_method": [r["link_method"] for r in rows],
        "match_probability": pa.array([r["match_probability"] for r in rows], type=pa.float64()),
        "match_band": [r["match_band"] for r in rows],
    })
