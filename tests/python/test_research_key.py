"""Research ids: keyed, stable under one key, unrelated under another, refused without a key."""

from __future__ import annotations

import duckdb
import pytest

from datashare import research_key as rk
from datashare.dbt_plugin import Plugin


def test_same_key_same_id_other_key_other_id():
    k1, k2 = b"a-secret-key-of-enough-length", b"another-secret-key-entirely"
    ids1 = [rk.research_id(f"K{i}", k1) for i in range(1000)]
    assert ids1 == [rk.research_id(f"K{i}", k1) for i in range(1000)]
    ids2 = [rk.research_id(f"K{i}", k2) for i in range(1000)]
    assert not set(ids1) & set(ids2)
    assert len(set(ids1)) == 1000


def test_missing_or_short_key_is_refused_with_a_clear_message():
    with pytest.raises(rk.ResearchKeyError, match="DATASHARE_RESEARCH_KEY is not set"):
        rk.research_key({})
    with pytest.raises(rk.ResearchKeyError, match="too short"):
        rk.research_key({rk.KEY_ENV: "short"})
    assert rk.key_mode({}) == "missing"
    assert rk.key_mode({rk.KEY_ENV: rk.DEMO_RESEARCH_KEY}) == "demo"
    assert rk.key_mode({rk.KEY_ENV: "x" * 32}) == "secret"


def test_sql_function_registered_by_the_dbt_plugin(monkeypatch):
    con = duckdb.connect()
    Plugin(name="datashare", plugin_config={}).configure_connection(con)
    monkeypatch.setenv(rk.KEY_ENV, "x" * 32)
    got = con.execute("select research_id('K1'), research_id(null), research_key_mode()").fetchone()
    assert got == (rk.research_id("K1", b"x" * 32), None, "secret")
    monkeypatch.delenv(rk.KEY_ENV)
    with pytest.raises(duckdb.Error, match="DATASHARE_RESEARCH_KEY is not set"):
        con.execute("select research_id('K1')").fetchone()
