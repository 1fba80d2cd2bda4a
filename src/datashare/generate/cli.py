"""`datashare generate`: write a synthetic extract drop and its truth files."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, help="output folder (gets drop/ and truth/)")
    parser.add_argument("--students", type=int, default=3000, help="students enrolled per school year (statewide: 310000)")
    parser.add_argument("--years", default="2021-2024", help="school years, e.g. 2021-2024 (2024 = 2023-24)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same files)")
    parser.add_argument("--noise", choices=("default", "hard"), default="default", help="identifier noise level")
    parser.add_argument("--quiet", action="store_true", help="no progress messages")


def run(args: argparse.Namespace) -> int:
    from datashare.generate import generate_drop

    t0 = time.perf_counter()
    rows = generate_drop(args.out, students=args.students, years=args.years, seed=args.seed, noise=args.noise,
                         progress=not args.quiet)
    width = max(len(k) for k in rows)
    for name, n in sorted(rows.items()):
        print(f"{name:<{width}}  {n:>10,}")
    print(f"wrote {args.out / 'drop'} and {args.out / 'truth'} in {time.perf_counter() - t0:.1f}s")
    return 0
