"""Sharded ``apply`` on a Ray cluster (or Ray on a laptop).

    import ray, rhetor, rhetor.ray
    ray.init()                                   # or ray.init(address="auto") on a cluster
    run = rhetor.ray.apply("bundle", "corpus.parquet", "runs/full", num_shards=32)

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
    from . import _rhetor

    return json.loads(
        _rhetor.apply(bundle, corpus, parts, config, overrides, force, None, (i, n))
    )


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
    default ``OUT.parts``). Keywords as :meth:`rhetor.Pipeline.apply_run`."""
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
    task = ray.remote(_shard).options(
        num_cpus=num_cpus,
        runtime_env={"env_vars": {"RAYON_NUM_THREADS": threads, "POLARS_MAX_THREADS": threads}},
    )
    overrides = _overrides(sections)
    refs = [
        task.remote(bundle, corpus_s, parts_s, i, num_shards, config_s, overrides, force)
        for i in range(1, num_shards + 1)
    ]
    # Wait for every shard, then report the failed ones.
    errors = []
    for i, r in enumerate(refs, start=1):
        try:
            ray.get(r)
        except Exception as e:  # the task's RhetorError, wrapped by Ray
            errors.append((i, getattr(e, "cause", None) or e))
    if errors:
        i, cause = errors[0]
        failed = ", ".join(str(j) for j, _ in errors)
        raise RhetorError(
            f"{len(errors)} of {num_shards} shards failed (shard(s) {failed}); shard {i}: {cause}"
        ) from cause
    return merge(Path(parts_s), Path(out_s), force=force, coded=coded)
