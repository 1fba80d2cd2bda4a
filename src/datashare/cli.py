"""`datashare` command line: each subcommand is a thin shell over a module.

A subcommand's module exposes `configure_parser(parser)` and `run(args) -> int`;
tests call the functions behind them directly.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). Modules are imported only when used, so a
# command's heavy dependencies (Splink, plotting) do not slow the others.
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("datashare.generate.cli", "write a synthetic extract drop (and its truth files)"),
    "load": ("datashare.load", "validate a drop and load it into the warehouse's raw schema"),
    "contract": ("datashare.contract_cli", "show the extract contract or write the dbt sources from it"),
    "pipeline": ("datashare.pipeline", "load a drop, then build, test and publish everything"),
    "train-linkage": ("datashare.linkage.train", "estimate the record-linkage model on the loaded data"),
    "evaluate-linkage": ("datashare.linkage.evaluate", "measure linkage quality against a truth file"),
    "review-linkage": ("datashare.linkage.review", "list the linkage review queue or record a match / no-match decision"),
    "publish": ("datashare.publish", "write the published marts to Parquet and a BI-only DuckDB file"),
    "summary": ("datashare.summary", "print headline measures by group from the published mart"),
    "lookup": ("datashare.access.cli", "case-level school record lookup for authorized CYFD staff"),
    "verify-audit": ("datashare.access.verify", "verify the hash chain of the access audit log"),
    "report": ("datashare.report", "render the static HTML research report"),
    "benchmark": ("datashare.benchmark", "run the whole pipeline at several scales and record figures"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datashare", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                p.set_defaults(_unavailable=f"`datashare {name}` is not available in this build ({exc.name})")
                continue
            raise
        module.configure_parser(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "_unavailable", None):
        print(args._unavailable, file=sys.stderr)
        return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
