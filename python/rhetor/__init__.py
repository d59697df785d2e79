"""rhetor: how do these documents frame the issue differently?

The Python interface of the rhetor toolkit (the same library as the ``rhetor`` CLI, built with
PyO3). Every function writes and reads the same files as the CLI — run directories of Parquet
tables, pipeline bundles, parts of a sharded apply — so results are byte-identical to the
CLI's for the same inputs and seed.

    import rhetor
    pipe = rhetor.fit("corpus/", out="bundle", cluster={"k": 3})
    table = pipe.apply(["A new paragraph about border enforcement.", "Another one."])
    run = pipe.apply_run("news.jsonl", out="runs/news", groups={"by": "outlet"})
    run.tables["doc_labels"].to_pandas()
    vectors = rhetor.embed(["some text"])          # numpy array, (1, 384), float32

The corpus is always the first argument, positional-only, so that ``corpus={...}`` is the
``[corpus]`` section (``text_col``, ``id_col``, ``unit``, …). Configuration keywords are the
sections and keys of the TOML config (docs/config.md), as dicts: ``cluster={"k": 3}``, ``embed={"type": "transformer"}``, ``seed=7``; they are laid
over ``config=`` (a TOML file) or the defaults. Errors raise :class:`RhetorError` with the
CLI's message.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _rhetor
from ._rhetor import RhetorError

__version__: str = _rhetor.__version__

__all__ = [
    "RhetorError",
    "Pipeline",
    "Run",
    "fit",
    "run",
    "merge",
    "embed",
    "read_run",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]


def _overrides(sections: Dict[str, Any]) -> Optional[str]:
    return json.dumps(sections) if sections else None


def _path(p: Optional[PathLike]) -> Optional[str]:
    return None if p is None else os.fspath(p)


def _config(config: Optional[PathLike], corpus: PathLike) -> Optional[str]:
    """The config file given, or ``rhetor.toml`` in the corpus folder when there is one (as
    the CLI does)."""
    if config is not None:
        return os.fspath(config)
    found = Path(corpus) / "rhetor.toml"
    return os.fspath(found) if Path(corpus).is_dir() and found.is_file() else None


@dataclass
class Run:
    """A run directory: its tables (``pyarrow.Table`` by name, read when first used), its
    manifest and the summary of the command that wrote it."""

    path: Path
    summary: Dict[str, Any] = field(default_factory=dict)
    _tables: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def manifest(self) -> Dict[str, Any]:
        """``manifest.json``: how the run was made (config, counts, stages, timings)."""
        return json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))

    @property
    def table_names(self) -> List[str]:
        """The Parquet tables of the run, without the ``.parquet`` suffix."""
        return sorted(p.stem for p in self.path.glob("*.parquet"))

    @property
    def tables(self) -> Dict[str, Any]:
        """Every table as a ``pyarrow.Table`` (pandas: ``.to_pandas()``; polars:
        ``polars.from_arrow``; DuckDB queries them directly)."""
        for name in self.table_names:
            self.table(name)
        return dict(self._tables)

    def table(self, name: str):
        """One table, e.g. ``run.table("paragraphs")``."""
        import pyarrow.parquet as pq

        if name not in self._tables:
            path = self.path / f"{name}.parquet"
            if not path.is_file():
                raise RhetorError(
                    f"'{self.path}' has no table '{name}' (it has: {', '.join(self.table_names)})"
                )
            self._tables[name] = pq.read_table(path)
        return self._tables[name]

    def __getitem__(self, name: str):
        return self.table(name)


def read_run(path: PathLike) -> Run:
    """Opens a run directory written by ``rhetor run``/``apply``/``merge`` (CLI or Python)."""
    p = Path(path)
    if not (p / "manifest.json").is_file():
        raise RhetorError(
            f"'{p}' is not a run directory (no manifest.json); write one with rhetor run or apply"
        )
    return Run(p)


class Pipeline:
    """A fitted pipeline bundle (``rhetor fit``): vocabulary, LSA basis or sentence-transformer,
    topic centroids and descriptions, codebooks and classifiers. Apply it to new documents;
    nothing is refitted."""

    def __init__(self, path: PathLike):
        self.path = Path(path)
        manifest = self.path / "bundle.json"
        if not manifest.is_file():
            raise RhetorError(
                f"'{self.path}' is not a bundle (no bundle.json); write one with rhetor.fit or `rhetor fit`"
            )
        self.manifest: Dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))

    @classmethod
    def load(cls, path: PathLike) -> "Pipeline":
        """Opens the bundle directory ``path`` (its files are checked when it is applied)."""
        return cls(path)

    @property
    def topics(self) -> List[Dict[str, Any]]:
        """The fitted topics: id, size on the fit corpus, label and terms."""
        return list(self.manifest.get("topics", []))

    def __repr__(self) -> str:
        k = self.manifest.get("cluster", {}).get("k")
        return f"Pipeline('{self.path}', k={k})"

    def apply_run(
        self,
        corpus: PathLike,
        /,
        out: PathLike,
        *,
        config: Optional[PathLike] = None,
        force: bool = False,
        coded: Optional[PathLike] = None,
        **sections: Any,
    ) -> Run:
        """``rhetor apply``: the whole run (tables, comparison, report) into ``out``. The
        keywords set what is not fitted: corpus reading, ``groups={"by": "outlet"}``,
        ``compare``, ``output``, ``seed``."""
        s = _rhetor.apply(
            os.fspath(self.path),
            os.fspath(corpus),
            os.fspath(out),
            _config(config, corpus),
            _overrides(sections),
            force,
            _path(coded),
            None,
        )
        return Run(Path(out), json.loads(s))

    def apply_shard(
        self,
        corpus: PathLike,
        /,
        parts: PathLike,
        shard: int,
        num_shards: int,
        *,
        config: Optional[PathLike] = None,
        force: bool = False,
        **sections: Any,
    ) -> Dict[str, Any]:
        """``rhetor apply --shard shard/num_shards``: one part into the folder ``parts``
        (``shard`` is 1-based). Merge the parts with :func:`merge`."""
        s = _rhetor.apply(
            os.fspath(self.path),
            os.fspath(corpus),
            os.fspath(parts),
            _config(config, corpus),
            _overrides(sections),
            force,
            None,
            (int(shard), int(num_shards)),
        )
        return json.loads(s)

    def apply(
        self,
        data: Any,
        *,
        text_col: str = "text",
        id_col: Optional[str] = None,
        **sections: Any,
    ):
        """Applies the bundle to in-memory documents and returns the paragraph rows with
        their topics and labels as a ``pyarrow.Table`` (the run's ``paragraphs`` table).

        ``data`` is a sequence of strings (one document each, ids ``doc_0``, ``doc_1``, …),
        a ``pyarrow.Table``, a pandas or polars DataFrame, or a dict of columns, with a
        ``text_col`` column and optionally ``id_col``; other columns become document
        metadata. The documents go through a temporary Parquet file and run directory,
        exactly as ``rhetor apply`` would read and write them."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = _to_arrow(data, text_col)
        with tempfile.TemporaryDirectory(prefix="rhetor-apply-") as tmp:
            corpus = Path(tmp) / "corpus.parquet"
            pq.write_table(table, corpus)
            corpus_keys = dict(sections.pop("corpus", {}) or {})
            corpus_keys.setdefault("text_col", text_col)
            if id_col is not None:
                corpus_keys.setdefault("id_col", id_col)
            sections["corpus"] = corpus_keys
            run = self.apply_run(corpus, Path(tmp) / "run", **sections)
            paragraphs = run.table("paragraphs")
            # Detach from the memory map of the file before the folder goes away.
            return pa.concat_tables([paragraphs]).combine_chunks()


def _to_arrow(data: Any, text_col: str):
    import pyarrow as pa

    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, dict):
        table = pa.table(data)
    elif hasattr(data, "to_arrow") and callable(data.to_arrow):  # polars
        table = data.to_arrow()
    elif hasattr(data, "to_numpy") and hasattr(data, "columns"):  # pandas
        table = pa.Table.from_pandas(data, preserve_index=False)
    elif isinstance(data, str):
        raise RhetorError(
            "apply() takes a sequence of documents, not one string: wrap it in a list, or use "
            "apply_run(corpus_path, out) for a file or folder"
        )
    elif isinstance(data, Iterable):
        texts = list(data)
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise RhetorError(
                f"apply() got {len(bad)} non-string item(s) (first at index {bad[0]}); give strings, "
                "or a table with a text column"
            )
        table = pa.table(
            {"id": [f"doc_{i}" for i in range(len(texts))], text_col: texts}
        )
    else:
        raise RhetorError(
            f"apply() cannot read a {type(data).__name__}: give strings, a pyarrow Table, a "
            "pandas/polars DataFrame or a dict of columns"
        )
    if text_col not in table.column_names:
        raise RhetorError(
            f"the documents have no column '{text_col}' (columns: {', '.join(table.column_names)}); "
            "name the text column with text_col="
        )
    return table


def fit(
    corpus: PathLike,
    /,
    out: PathLike,
    *,
    config: Optional[PathLike] = None,
    force: bool = False,
    sample: Optional[int] = None,
    **sections: Any,
) -> Pipeline:
    """``rhetor fit``: fits every model stage on ``corpus`` and writes the bundle ``out``.
    ``sample=N`` fits on a seeded random sample of N paragraphs. Keywords: config sections
    laid over ``config`` (default: ``rhetor.toml`` in the corpus folder, if any, as the CLI),
    e.g. ``cluster={"k": 3}``, ``embed={"type": "transformer"}``, ``label={"codebooks":
    ["stance"], "target": "..."}``, ``seed=7``."""
    _rhetor.fit(
        os.fspath(corpus),
        os.fspath(out),
        _config(config, corpus),
        _overrides(sections),
        force,
        sample,
    )
    return Pipeline(out)


def run(
    corpus: PathLike,
    /,
    out: PathLike,
    *,
    config: Optional[PathLike] = None,
    force: bool = False,
    coded: Optional[PathLike] = None,
    **sections: Any,
) -> Run:
    """``rhetor run``: the whole pipeline fitted and applied on ``corpus``, written to
    ``out``."""
    s = _rhetor.run(
        os.fspath(corpus),
        os.fspath(out),
        _config(config, corpus),
        _overrides(sections),
        force,
        _path(coded),
    )
    return Run(Path(out), json.loads(s))


def merge(
    parts: PathLike,
    out: PathLike,
    *,
    force: bool = False,
    coded: Optional[PathLike] = None,
) -> Run:
    """``rhetor merge``: the parts of a sharded apply into one run, byte-identical to an
    apply without shards."""
    s = _rhetor.merge(os.fspath(parts), os.fspath(out), force, _path(coded))
    return Run(Path(out), json.loads(s))


def embed(
    texts: Sequence[str],
    model: str = "all-MiniLM-L6-v2",
    precision: str = "f32",
    *,
    cache: bool = False,
):
    """Sentence embeddings from rhetor's native encoder (no torch), L2-normalised, as a
    ``numpy.ndarray`` of shape ``(len(texts), dimension)``, float32. ``model`` is a name in
    the models directory (``rhetor model fetch NAME``; ``$RHETOR_MODELS``) or a path to a
    sentence-transformers folder. The GIL is released while it runs."""
    import numpy as np

    if isinstance(texts, str):
        texts = [texts]
    data, rows, cols = _rhetor.embed(list(texts), model, precision, cache)
    return np.frombuffer(data, dtype="<f4").reshape(rows, cols)
