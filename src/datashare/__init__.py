"""New Mexico cross-agency data share: load, link, de-identify and publish."""

__version__ = "0.1.0"
