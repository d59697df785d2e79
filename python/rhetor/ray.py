"""rhetor on a Ray cluster (or Ray on a laptop).

Two ways in:

1. **A whole run** (tables, comparison, report): :func:`apply` runs ``rhetor apply --shard
   I/N`` as N Ray tasks and merges their parts (``rhetor merge``) in the driver::

       import ray, rhetor, rhetor.ray
       ray.init()                               # or ray.init(address="auto") on a cluster
       run = rhetor.ray.apply("bundle", "corpus.parquet", "runs/full", num_shards=32)

2. **Labelled paragraph rows in a Ray Data pipeline**: :class:`ApplyBatch` is a callable
   class for ``Dataset.map_batches``; each actor opens the bundle once and applies it to
   Arrow batches of documents, returning their paragraph rows (topics, labels)::

       ds = ray.data.read_parquet("corpus/")    # partitioned Parquet: id, text, metadata …
       rows = ds.map_batches(rhetor.ray.ApplyBatch, fn_constructor_kwargs={"bundle": "bundle"},
                             batch_format="pyarrow", concurrency=4)
       rows.write_parquet("labelled/")

   A paragraph's row depends only on its document and the bundle, so these rows are the
   ``paragraphs`` table of one ``rhetor apply`` (in another order). The comparison between
   groups needs the whole corpus: use :func:`apply` (or ``rhetor apply --shard`` +
   ``rhetor merge``) for it.

Each shard is one Ray task running ``rhetor apply --shard I/N`` (the native library, the GIL
released), writing its part into ``parts``; when all have finished, the merge runs in the
driver. The run is byte-identical to one ``Pipeline.apply_run`` of the same absolute paths
(paths are made absolute here, so every worker finds them and the run records them). The
bundle, corpus and parts folder must be on a filesystem every Ray node sees. A failed shard
raises its :class:`rhetor.RhetorError` after the others finish; the parts already written stay,
so re-run with ``force=True`` or only the missing shards.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional, Union

from . import Pipeline, RhetorError, Run, _config, _overrides, merge

PathLike = Union[str, "os.PathLike[str]"]


def _shard(bundle: str, corpus: str, parts: str, i: int, n: int,
           config: Optional[str], overrides: Optional[str], force: bool) -> dict:
    import ray

    from . import _rhetor

    out = json.loads(
        _rhetor.apply(bundle, corpus, parts, config, overrides, force, None, (i, n))
    )
    out["node_id"] = ray.get_runtime_context().get_node_id()
    return out


class ApplyBatch:
    """A callable class for ``ray.data.Dataset.map_batches(..., batch_format="pyarrow")``:
    applies the bundle to each batch of documents (rows with ``text_col`` and optionally
    ``id_col``; other columns are metadata) and returns their paragraph rows as a
    ``pyarrow.Table`` — the columns of a run's ``paragraphs`` table. Ray creates one instance
    per actor, which opens the bundle once; each batch goes through ``rhetor apply`` (the
    bundle's files are read again and checked by sha256 per batch, a few milliseconds for a
    TF-IDF bundle; a sentence-transformer bundle also reloads its model per batch, so use
    large batches). Keywords as :meth:`rhetor.Pipeline.apply`."""

    def __init__(self, bundle: PathLike, *, text_col: str = "text",
                 id_col: Optional[str] = "id", **sections: Any):
        self.pipeline = Pipeline.load(os.path.abspath(os.fspath(bundle)))
        self.text_col = text_col
        self.id_col = id_col
        self.sections = sections

    def __call__(self, batch):
        id_col = self.id_col if self.id_col in batch.column_names else None
        return self.pipeline.apply(batch, text_col=self.text_col, id_col=id_col, **self.sections)


def apply(
    pipeline: Union[Pipeline, PathLike],
    corpus: PathLike,
    /,
    out: PathLike,
    *,
    num_shards: int,
    parts: Optional[PathLike] = None,
    num_cpus: float = 1,
    config: Optional[PathLike] = None,
    force: bool = False,
    coded: Optional[PathLike] = None,
    **sections: Any,
) -> Run:
    """Applies the bundle to ``corpus`` in ``num_shards`` Ray tasks of ``num_cpus`` CPUs each
    (rhetor's threads follow it), then merges into the run ``out`` (parts in ``parts``,
    default ``OUT.parts``). Keywords as :meth:`rhetor.Pipeline.apply_run`. A worker that dies
    is replaced and its shard run again by Ray (``max_retries``); a part is written under a
    temporary name and renamed when complete, so a killed attempt leaves no part behind.
    ``run.summary["shards"]`` lists each shard's summary and the Ray node that ran it."""
    import ray

    if not ray.is_initialized():
        ray.init()
    bundle = os.path.abspath(os.fspath(pipeline.path if isinstance(pipeline, Pipeline) else pipeline))
    corpus_s = os.path.abspath(os.fspath(corpus))
    out_s = os.path.abspath(os.fspath(out))
    parts_s = os.path.abspath(os.fspath(parts)) if parts is not None else out_s + ".parts"
    found = _config(config, corpus_s)
    config_s = os.path.abspath(found) if found is not None else None
    threads = str(max(1, int(num_cpus)))
    remote = ray.remote(_shard)
    base = dict(
        num_cpus=num_cpus,
        max_retries=3,
        runtime_env={"env_vars": {"RAYON_NUM_THREADS": threads, "POLARS_MAX_THREADS": threads}},
    )
    overrides = _overrides(sections)
    # Shard i goes to node i mod (nodes that have the CPUs), softly: Ray's default packs short
    # tasks onto one node, and even "SPREAD" left a second node idle in CI when the shards were
    # short. Soft affinity lets Ray run a retry elsewhere when that node is gone.
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = sorted(
        n["NodeID"]
        for n in ray.nodes()
        if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) >= num_cpus
    )

    def placed(i: int):
        if not nodes:
            return remote.options(scheduling_strategy="SPREAD", **base)
        node = nodes[(i - 1) % len(nodes)]
        strategy = NodeAffinitySchedulingStrategy(node, soft=True)
        return remote.options(scheduling_strategy=strategy, **base)

    refs = [
        placed(i).remote(bundle, corpus_s, parts_s, i, num_shards, config_s, overrides, force)
        for i in range(1, num_shards + 1)
    ]
    # Wait for every shard, then report the failed ones.
    errors = []
    shards = []
    for i, r in enumerate(refs, start=1):
        try:
            shards.append(ray.get(r))
        except Exception as e:  # the task's RhetorError, wrapped by Ray
            errors.append((i, getattr(e, "cause", None) or e))
    if errors:
        i, cause = errors[0]
        failed = ", ".join(str(j) for j, _ in errors)
        raise RhetorError(
            f"{len(errors)} of {num_shards} shards failed (shard(s) {failed}); shard {i}: {cause}"
        ) from cause
    run = merge(Path(parts_s), Path(out_s), force=force, coded=coded)
    run.summary["shards"] = shards
    return run
