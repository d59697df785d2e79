"""Builds a synthetic corpus of N paragraphs for the scale measurements of issue 17 (streaming,
shards, Ray): paragraphs drawn with replacement (seeded) from the public labelled sets in
../shared/data (20newsgroups posts split at blank lines, BBC news paragraphs, UK manifesto
sentences, 2012 convention speeches), one paragraph per row, with varied ids and a group
column (`outlet`, 12 values) for the comparison. Never commit the output (the sets' licenses
forbid redistribution).

    python scripts/scale/make_corpus.py --n 1000000 --out /tmp/scale/corpus-1m.parquet
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SETS = ["20newsgroups_bydate", "bbc_news", "uk_manifesto_sentences", "convention2012_party"]


def paragraphs(data: Path) -> list[str]:
    out: list[str] = []
    for name in SETS:
        path = data / name / "data.jsonl"
        if not path.is_file():
            continue
        for line in path.open(encoding="utf-8"):
            text = json.loads(line).get("text") or ""
            for p in text.split("\n\n"):
                p = " ".join(p.split())
                if 40 <= len(p) <= 2000:
                    out.append(p)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, required=True, help="paragraphs (rows) to write")
    ap.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--data", type=Path,
                    default=Path(__file__).resolve().parents[3] / "shared" / "data")
    ap.add_argument("--row-group", type=int, default=50_000, help="rows per Parquet row group")
    a = ap.parse_args()
    pool = paragraphs(a.data)
    if not pool:
        raise SystemExit(f"no paragraphs found under {a.data}")
    rng = random.Random(a.seed)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("outlet", pa.string())])
    with pq.ParquetWriter(a.out, schema) as w:
        for start in range(0, a.n, a.row_group):
            k = min(a.row_group, a.n - start)
            rows = [rng.randrange(len(pool)) for _ in range(k)]
            w.write_table(pa.table({
                "id": [f"p{start + i:08d}" for i in range(k)],
                "text": [pool[r] for r in rows],
                "outlet": [f"outlet_{rng.randrange(12):02d}" for _ in range(k)],
            }, schema=schema))
    print(f"wrote {a.out}: {a.n} paragraphs drawn from {len(pool)} distinct ones (seed {a.seed})")


if __name__ == "__main__":
    main()
