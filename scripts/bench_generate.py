#!/usr/bin/env python3
"""Time and peak memory of the synthetic drop generator (default: statewide scale).

    .venv/bin/python scripts/bench_generate.py [--students 310000] [--years 2021-2024]
        [--seed 1] [--noise default] [--out DIR] [--json]

Generates in this process and prints wall seconds, peak resident memory
(ru_maxrss) and rows written. Without --out the drop goes to a temporary
folder that is removed afterwards. Run statewide scale only under
`flock /tmp/statewide.lock` (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=310_000)
    ap.add_argument("--years", default="2021-2024")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--noise", choices=("default", "hard"), default="default")
    ap.add_argument("--out", type=Path, help="keep the drop here (default: a temporary folder, removed)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args(argv)

    from datashare.generate import generate_drop

    out = args.out or Path(tempfile.mkdtemp(prefix="bench_generate_"))
    try:
        t0 = time.perf_counter()
        rows = generate_drop(out, students=args.students, years=args.years, seed=args.seed, noise=args.noise,
                             progress=not args.json)
        seconds = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in (out / "drop").glob("*.csv"))
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    result = {
        "students": args.students, "years": args.years, "noise": args.noise, "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_mb), "rows": sum(rows.values()), "drop_mb": round(size / 2**20),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"generated {result['rows']:,} rows ({result['drop_mb']:,} MB) for {args.students:,} students/year, "
              f"{args.years}, in {seconds:.1f} s; peak memory {peak_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
