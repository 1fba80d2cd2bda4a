"""The research id: HMAC-SHA256 of a linked person key under a secret key.

The key comes from the environment (`DATASHARE_RESEARCH_KEY`), never from the
repository. Generated demo and test data may use the one named demo key
`DEMO_RESEARCH_KEY`; outputs built with it are marked as demo outputs.
"""

from __future__ import annotations

import hashlib
import hmac
import os

KEY_ENV = "DATASHARE_RESEARCH_KEY"
DEMO_RESEARCH_KEY = "demo-key-not-for-real-data"
MIN_KEY_LENGTH = 16


class ResearchKeyError(RuntimeError):
    pass


def research_key(env: dict[str, str] | None = None) -> bytes:
    """The secret key, or a clear error saying how to supply one."""
    value = (env if env is not None else os.environ).get(KEY_ENV, "")
    if not value:
        raise ResearchKeyError(
            f"{KEY_ENV} is not set. The de-identified layer needs a secret key to derive research ids "
            f"(HMAC-SHA256). Set {KEY_ENV} to a secret of at least {MIN_KEY_LENGTH} characters kept outside "
            f"the repository, or, for generated demo/test data only, to the demo key {DEMO_RESEARCH_KEY!r}."
        )
    if len(value) < MIN_KEY_LENGTH:
        raise ResearchKeyError(f"{KEY_ENV} is too short: use at least {MIN_KEY_LENGTH} characters.")
    return value.encode("utf-8")


def key_mode(env: dict[str, str] | None = None) -> str:
    """'demo' under the named demo key, 'secret' under any other key, 'missing' without one."""
    value = (env if env is not None else os.environ).get(KEY_ENV, "")
    if not value:
        return "missing"
    return "demo" if value == DEMO_RESEARCH_KEY else "secret"


def research_id(person_key: str | None, key: bytes) -> str | None:
    """HMAC-SHA256 (hex) of the person key under the secret key."""
    if person_key is None:
        return None
    return hmac.new(key, str(person_key).encode("utf-8"), hashlib.sha256).hexdigest()
