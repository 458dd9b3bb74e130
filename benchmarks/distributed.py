"""Data-parallel step and all-reduce figures: ``python -m benchmarks.distributed``.

The 784-1024-1024-10 MLP (float32) trained with SGD at global batch 512:

- time per step on 1 rank (2 BLAS threads, no DDP) and on 2 ranks (1 thread each, batch 256
  per rank, DDP), so both use two cores; scaling efficiency = step(1 rank) / step(2 ranks);
- DDP's all-reduce bytes and seconds per step (time spent starting and waiting for the bucket
  all-reduces), with buckets started as soon as they are full (overlap) and all at the end;
- a bare mpi4py ``Allreduce`` of one buffer of the same bytes (the floor), as bandwidth.

It starts ``mpirun`` itself (from this Python's environment) and prints a table; ``--json F``
also writes the figures. Medians over ``--steps`` timed steps after 3 warm-up steps.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GLOBAL_BATCH = 512


def _model():
    import nn

    return nn.Sequential(
        nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10)
    )


def _steps(model, opt, x, y, n):
    import nn.functional as F

    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return times


def worker(steps: int) -> dict:
    """Run under mpirun: time the step (DDP when more than one rank) and the bare Allreduce."""
    import autograd as ag
    import autograd.distributed as dist
    import optim
    from nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    ag.manual_seed(0)
    b = GLOBAL_BATCH // world
    rng = np.random.default_rng(rank)
    x = ag.tensor(rng.standard_normal((b, 784)).astype(np.float32))
    y = ag.tensor(rng.integers(0, 10, b))
    out = {"world": world, "batch_per_rank": b}
    model = _model()
    nbytes = sum(p.numel() for p in model.parameters()) * 4
    out["grad_bytes"] = nbytes
    if world == 1:
        opt = optim.SGD(model.parameters(), lr=0.01)
        _steps(model, opt, x, y, 3)
        out["step_s"] = float(np.median(_steps(model, opt, x, y, steps)))
    else:
        ddp = DDP(model)
        opt = optim.SGD(ddp.parameters(), lr=0.01)
        out["buckets"] = [int(bk.buf.nbytes) for bk in ddp._buckets]
        for overlap in (True, False):
            ddp._overlap = overlap
            _steps(ddp, opt, x, y, 3)
            comm = []
            times = []
            for _ in range(steps):
                ddp._comm_stats = {"bytes": 0, "seconds": 0.0}
                times += _steps(ddp, opt, x, y, 1)
                comm.append(dict(ddp._comm_stats))
            key = "overlap" if overlap else "at_end"
            out[f"step_s_{key}"] = float(np.median(times))
            out[f"comm_s_{key}"] = float(np.median([c["seconds"] for c in comm]))
            out["comm_bytes"] = comm[-1]["bytes"]
        from mpi4py import MPI

        buf = np.ones(nbytes // 4, dtype=np.float32)
        comm_ = MPI.COMM_WORLD
        bare = []
        for i in range(steps + 3):
            comm_.Barrier()
            t0 = time.perf_counter()
            comm_.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            if i >= 3:
                bare.append(time.perf_counter() - t0)
        out["bare_allreduce_s"] = float(np.median(bare))
    dist.destroy_process_group()
    return out


def _launch(n: int, threads: int, steps: int) -> dict:
    mpirun = Path(sys.executable).parent / "mpirun"
    mpirun = str(mpirun) if mpirun.exists() else shutil.which("mpirun")
    if mpirun is None:
        raise SystemExit("mpirun not found: pip install 'ndgrad[distributed]'")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    cmd = [
        mpirun,
        "--allow-run-as-root",
        "--oversubscribe",
        "--bind-to",
        "none",
        "-np",
        str(n),
        sys.executable,
        "-m",
        "mpi4py",
        "-m",
        "benchmarks.distributed",
        "--worker",
        "--steps",
        str(steps),
    ]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise SystemExit(f"mpirun failed:\n{r.stdout}\n{r.stderr}")
    line = [s for s in r.stdout.splitlines() if s.startswith("{")][0]
    return json.loads(line)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--json", default=None)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        res = worker(args.steps)
        from mpi4py import MPI

        import autograd.distributed  # noqa: F401

        if MPI.COMM_WORLD.Get_rank() == 0:
            print(json.dumps(res), flush=True)
        return res
    one = _launch(1, 2, args.steps)
    two = _launch(2, 1, args.steps)
    mb = two["comm_bytes"] / 2**20
    rows = [
        ("step, 1 rank x 2 threads, batch 512", f"{one['step_s'] * 1e3:8.1f} ms"),
        ("step, 2 ranks x 1 thread, DDP, overlap", f"{two['step_s_overlap'] * 1e3:8.1f} ms"),
        ("step, 2 ranks x 1 thread, DDP, all at end", f"{two['step_s_at_end'] * 1e3:8.1f} ms"),
        ("scaling efficiency (same 2 cores)", f"{one['step_s'] / two['step_s_overlap']:8.2f}"),
        ("all-reduce bytes per step", f"{mb:8.2f} MiB in {len(two['buckets'])} buckets"),
        ("DDP all-reduce time/step, overlap", f"{two['comm_s_overlap'] * 1e3:8.1f} ms"),
        ("DDP all-reduce time/step, all at end", f"{two['comm_s_at_end'] * 1e3:8.1f} ms"),
        ("bare mpi4py Allreduce, same bytes", f"{two['bare_allreduce_s'] * 1e3:8.1f} ms"),
        ("DDP (at end) / bare", f"{two['comm_s_at_end'] / two['bare_allreduce_s']:8.2f}x"),
        (
            "bandwidth DDP (at end) / bare",
            f"{mb / two['comm_s_at_end']:6.0f} / {mb / two['bare_allreduce_s']:.0f} MiB/s",
        ),
    ]
    w = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a:<{w}}  {b}")
    res = {"one_rank": one, "two_ranks": two}
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
