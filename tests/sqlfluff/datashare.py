"""The `datashare.` macro namespace for sqlfluff's jinja templater (library_path).

dbt lets a model call a project macro as `datashare.<macro>(...)`; the jinja
templater knows no such namespace. Any attribute of this module resolves, at
render time, to the macro of that name loaded from load_macros_from_path.
Only the sqlfluff process loads this module (it is not the datashare package).
"""

from __future__ import annotations

from jinja2 import pass_context


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)

    @pass_context
    def call_macro(context, *args, **kwargs):
        return context.resolve(name)(*args, **kwargs)

    return call_macro
