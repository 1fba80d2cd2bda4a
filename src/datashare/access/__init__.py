"""Case-level access for authorized CYFD staff: decision (policy), lookup, audit log (docs/access.md)."""
