"""Wall time of `rhetor.ray.apply` on a local two-node Ray cluster (one CPU per node, started
with `ray start` as a user would) against one `rhetor apply` process, on the same corpus and
bundle, and the Python call overhead of `Pipeline.apply` per batch. Prints the CPU model.

    python scripts/scale/ray_timing.py BUNDLE CORPUS WORK_DIR [--shards 4] [--group-by outlet]

Needs the `rhetor` package and `ray` in the Python that runs it, and the `rhetor` binary on
PATH (or RHETOR=path). Every file of the Ray run is compared with the single-process run.
"""
import argparse
import filecmp
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundle")
    ap.add_argument("corpus")
    ap.add_argument("work")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--group-by", default="outlet")
    a = ap.parse_args()
    import ray
    import rhetor
    import rhetor.ray as rray

    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(f"cpu: {cpu_model()}, {os.cpu_count()} cores")
    exe = os.environ.get("RHETOR", "rhetor")

    t = time.perf_counter()
    subprocess.run(
        [exe, "-q", "apply", a.bundle, a.corpus, "--group-by", a.group_by, "--out", str(work / "single")],
        check=True,
    )
    single = time.perf_counter() - t
    print(f"rhetor apply, one process:        {single:8.1f} s")

    pipe = rhetor.Pipeline.load(a.bundle)
    texts = ["The council voted to cut the budget for schools again."] * 100
    pipe.apply(texts[:1])
    for n in (1, 100):
        reps = 20
        t = time.perf_counter()
        for _ in range(reps):
            pipe.apply(texts[:n])
        per = (time.perf_counter() - t) / reps
        print(f"Pipeline.apply of {n:3d} text(s):      {1000 * per:8.2f} ms per call")

    ray_exe = str(Path(sys.executable).parent / "ray")
    port = free_port()
    os.environ["RAY_AUTH_MODE"] = "disabled"
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    common = ["--num-cpus=1", "--disable-usage-stats"]
    subprocess.run([ray_exe, "start", "--head", f"--port={port}", "--include-dashboard=false", *common],
                   check=True, env=env, capture_output=True)
    try:
        subprocess.run([ray_exe, "start", f"--address=127.0.0.1:{port}", *common],
                       check=True, env=env, capture_output=True)
        ray.init(address=f"127.0.0.1:{port}", log_to_driver=False)
        t = time.perf_counter()
        run = rray.apply(pipe, a.corpus, work / "ray", num_shards=a.shards, groups={"by": a.group_by})
        two = time.perf_counter() - t
        nodes = {s["node_id"] for s in run.summary["shards"]}
        print(f"rhetor.ray.apply, 2 nodes × 1 CPU, {a.shards} shards + merge: {two:8.1f} s "
              f"({two / single:.2f}× one process; shards ran on {len(nodes)} node(s))")
    finally:
        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([ray_exe, "stop", "--force"], env=env, capture_output=True)
    differ = []
    for f in sorted(os.listdir(work / "single")):
        if f == "manifest.json":
            continue
        if not filecmp.cmp(work / "single" / f, work / "ray" / f, shallow=False):
            differ.append(f)
    m1 = json.loads((work / "single" / "manifest.json").read_text())
    m2 = json.loads((work / "ray" / "manifest.json").read_text())
    for m in (m1, m2):
        m.pop("command")
        m.pop("timings_s")
    if m1 != m2:
        differ.append("manifest.json")
    print("files identical to the single process" if not differ else f"DIFFER: {differ}")


if __name__ == "__main__":
    main()
