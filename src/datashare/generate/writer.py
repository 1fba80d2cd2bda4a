"""Fast, deterministic CSV writing for the generator.

Tables are built as column arrays (numpy), handed to DuckDB as Arrow tables
and written with `COPY ... TO` (RFC 4180, minimal quoting, dates YYYY-MM-DD,
null = empty field). Large tables are written in parts (one per school year)
and concatenated, so memory stays bounded by one year's rows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datashare.contract import Table

EPOCH = np.datetime64("1970-01-01", "D")


def date_array(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """int days since 1970-01-01 -> Arrow date32 (null where `null` is true)."""
    arr = np.asarray(days, dtype=np.int32).astype("datetime64[D]")
    return pa.array(arr, mask=None if null is None else np.asarray(null, dtype=bool), type=pa.date32())


def str_array(values, null: np.ndarray | None = None) -> pa.Array:
    """Strings (object/unicode array or list) -> Arrow string; None / masked -> null."""
    arr = pa.array(values if not isinstance(values, np.ndarray) or values.dtype == object else values.tolist(),
                   type=pa.string(), from_pandas=True)
    if null is not None:
        arr = pc.if_else(pa.array(np.asarray(null, dtype=bool)), pa.scalar(None, pa.string()), arr)
    return arr


def take(dictionary: pa.Array, idx: np.ndarray) -> pa.Array:
    """Per-row values looked up from a per-record array (fast, stays in Arrow)."""
    return dictionary.take(pa.array(np.asarray(idx, dtype=np.int64)))


def fixed_codes(codes: tuple[str, ...] | list[str], idx: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Code index array -> Arrow strings (index -1 or masked -> null)."""
    idx = np.asarray(idx)
    nulls = idx < 0 if null is None else (np.asarray(null, dtype=bool) | (idx < 0))
    vals = take(pa.array(list(codes), type=pa.string()), np.where(nulls, 0, idx))
    if nulls.any():
        vals = pc.if_else(pa.array(nulls), pa.scalar(None, pa.string()), vals)
    return vals


def zero_padded(values: np.ndarray, width: int, prefix: str = "", null: np.ndarray | None = None) -> pa.Array:
    """Integers -> zero-padded strings with an optional prefix (e.g. C00012345)."""
    arr = pa.array(np.asarray(values, dtype=np.int64))
    s = pc.utf8_lpad(pc.cast(arr, pa.string()), width=width, padding="0")
    if prefix:
        s = pc.binary_join_element_wise(pa.scalar(prefix), s, "")
    if null is not None:
        s = pc.if_else(pa.array(np.asarray(null, dtype=bool)), pa.scalar(None, pa.string()), s)
    return s


class DropWriter:
    """Writes contract tables as CSV files, in parts, in contract column order."""

    def __init__(self, out_dir: Path, threads: int = 2):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect()
        self.con.execute(f"set threads = {threads}")
        self.con.execute("set preserve_insertion_order = true")
        self.parts: dict[str, list[Path]] = {}
        self.rows: dict[str, int] = {}

    def _select_list(self, table: Table, cols: dict[str, pa.Array]) -> str:
        missing = [c for c in table.column_names if c not in cols]
        extra = [c for c in cols if c not in table.column_names]
        if missing or extra:
            raise ValueError(f"{table.file}: generator columns differ from the contract "
                             f"(missing {missing}, unexpected {extra})")
        exprs = []
        for col in table.columns:
            q = f'"{col.name}"'
            if col.type == "decimal":
                exprs.append(f"cast({q} as decimal(9, 1)) as {q}")
            elif col.type == "integer":
                exprs.append(f"cast({q} as bigint) as {q}")
            elif col.type == "date":
                exprs.append(f"cast({q} as date) as {q}")
            else:
                exprs.append(f"cast({q} as varchar) as {q}")
        return ", ".join(exprs)

    def write_part(self, table: Table, cols: dict[str, pa.Array | np.ndarray]) -> None:
        arrow_cols = {k: (v if isinstance(v, (pa.Array, pa.ChunkedArray)) else pa.array(v)) for k, v in cols.items()}
        t = pa.table(arrow_cols)
        parts = self.parts.setdefault(table.file, [])
        path = self.out_dir / f".{table.file}.part{len(parts):03d}"
        self.con.register("part_rows", t)
        try:
            self.con.execute(
                f"copy (select {self._select_list(table, arrow_cols)} from part_rows) "
                f"to '{path.as_posix()}' (format csv, header {'true' if not parts else 'false'}, delimiter ',')"
            )
        finally:
            self.con.unregister("part_rows")
        parts.append(path)
        self.rows[table.file] = self.rows.get(table.file, 0) + t.num_rows

    def write(self, table: Table, cols: dict[str, pa.Array | np.ndarray]) -> None:
        self.write_part(table, cols)
        self.finish(table)

    def finish(self, table: Table) -> Path:
        """Concatenate the parts of a table into its CSV file (header once)."""
        target = self.out_dir / table.file
        parts = self.parts.pop(table.file, [])
        if not parts:
            target.write_text(",".join(table.column_names) + "\n", encoding="utf-8")
            self.rows.setdefault(table.file, 0)
            return target
        if len(parts) == 1:
            parts[0].replace(target)
            return target
        with target.open("wb") as out:
            for p in parts:
                with p.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
                p.unlink()
        return target

    def close(self) -> None:
        self.con.close()
