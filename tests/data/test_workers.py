"""DataLoader with worker processes: same batches as num_workers=0, seeding, faults, cleanup.

Kept quick: tiny datasets, two workers, short timeouts. Nothing here is skipped.
"""

import multiprocessing
import os
import random
import re
import signal
import time

import numpy as np
import pytest

import autograd
import data
from data import DataLoader, Dataset, IterableDataset, TensorDataset


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def assert_gone(pids):
    left = {p.pid for p in multiprocessing.active_children()} & set(pids)
    assert not left, f"worker processes left behind: {left}"
    assert not any(alive(p) for p in pids)


def worker_pids(it):
    return [w.pid for w in it._workers]


class Augmented(Dataset):
    """Random augmentation through data.sample_rng: must not depend on num_workers."""

    def __init__(self, n=24):
        self.x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        rng = data.sample_rng()
        noise = rng.normal(size=3).astype(np.float32)
        flip = data.sample_rng().random() < 0.5  # same stream, continued
        x = self.x[i][::-1] if flip else self.x[i]
        return x + noise, i


def run_epochs(epochs=2, **kw):
    loader = DataLoader(Augmented(), batch_size=5, **kw)
    out = []
    for _ in range(epochs):
        out.append([(x.numpy().copy(), y.numpy().copy()) for x, y in loader])
    return out


def assert_same(a, b):
    assert len(a) == len(b)
    for ea, eb in zip(a, b):
        assert len(ea) == len(eb)
        for (xa, ya), (xb, yb) in zip(ea, eb):
            np.testing.assert_array_equal(ya, yb)
            np.testing.assert_array_equal(xa, xb)  # bit-identical
            assert xa.dtype == xb.dtype


@pytest.mark.parametrize("persistent", [False, True])
def test_two_workers_equal_zero_workers_shuffled_and_augmented(persistent):
    def go(nw, **kw):
        g = autograd.Generator().manual_seed(123)
        return run_epochs(shuffle=True, generator=g, num_workers=nw, **kw)

    ref = go(0)
    assert_same(ref, go(2, persistent_workers=persistent))
    # the epochs differ in order and in augmentation
    assert not np.array_equal(ref[0][0][1], ref[1][0][1])


def test_global_seed_reproduces_workers_and_prefetch_does_not_matter():
    autograd.manual_seed(9)
    a = run_epochs(shuffle=True, num_workers=2, prefetch_factor=1)
    autograd.manual_seed(9)
    b = run_epochs(shuffle=True, num_workers=0)
    assert_same(a, b)


def test_resume_reproduces_epoch():
    g = autograd.Generator().manual_seed(77)
    loader = DataLoader(Augmented(), batch_size=6, shuffle=True, generator=g, num_workers=2)
    list(loader)
    state, epoch = g.get_state(), loader.epoch
    second = [(x.numpy(), y.numpy()) for x, y in loader]
    # a fresh loader, as after a restart: restore the generator and the epoch counter
    g2 = autograd.Generator().manual_seed(0)
    g2.set_state(state)
    fresh = DataLoader(Augmented(), batch_size=6, shuffle=True, generator=g2, num_workers=0)
    fresh.epoch = epoch
    resumed = [(x.numpy(), y.numpy()) for x, y in fresh]
    assert_same([second], [resumed])


def test_in_order_false_gives_the_same_batches():
    g = autograd.Generator().manual_seed(1)
    ref = sorted(tuple(y.tolist()) for _, y in DataLoader(Augmented(), batch_size=4, generator=g))
    loader = DataLoader(Augmented(), batch_size=4, num_workers=2, in_order=False)
    assert sorted(tuple(y.tolist()) for _, y in loader) == ref


def test_tensor_dataset_workers_and_len():
    ds = TensorDataset(autograd.arange(11), autograd.randn(11, 2, requires_grad=False))
    a = [[t.numpy() for t in b] for b in DataLoader(ds, batch_size=3, num_workers=2)]
    b = [[t.numpy() for t in b] for b in DataLoader(ds, batch_size=3)]
    assert len(a) == len(b) == len(DataLoader(ds, batch_size=3, num_workers=2)) == 4
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x[0], y[0])
        np.testing.assert_array_equal(x[1], y[1])


class Seeds(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = data.get_worker_info()
        return {
            "worker": info.id,
            "seed": info.seed,
            "np": np.random.random(),  # noqa: NPY002  (the classic bug this guards against)
            "py": random.random(),
            "ag": autograd.rand(1).item(),
        }


def test_worker_seeds_differ_per_worker_and_epoch():
    loader = DataLoader(Seeds(), batch_size=1, num_workers=2)
    epochs = [list(loader) for _ in range(2)]
    for batches in epochs:
        w0 = [b for b in batches if b["worker"].item() == 0]
        w1 = [b for b in batches if b["worker"].item() == 1]
        assert len(w0) == len(w1) == 2
        assert w1[0]["seed"].item() == w0[0]["seed"].item() + 1
        for key in ("np", "py", "ag"):
            assert w0[0][key].item() != w1[0][key].item(), key
    for key in ("seed", "np", "py", "ag"):
        assert epochs[0][0][key].item() != epochs[1][0][key].item(), key
    assert data.get_worker_info() is None


_init_value = None


def _init(worker_id):
    global _init_value
    info = data.get_worker_info()
    assert info.id == worker_id and info.num_workers == 2
    _init_value = 100 + worker_id


class FromInit(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return _init_value


def test_worker_init_fn_and_worker_info():
    values = [b.item() for b in DataLoader(FromInit(), num_workers=2, worker_init_fn=_init)]
    assert values == [100, 101, 100, 101]  # batch k goes to worker k % 2


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = data.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def test_iterable_dataset_sharded_across_workers():
    loader = DataLoader(Stream(17), batch_size=3, num_workers=2)
    items = [i for b in loader for i in b.tolist()]
    assert sorted(items) == list(range(17))
    loader = DataLoader(Stream(17), batch_size=3, num_workers=2, persistent_workers=True)
    for _ in range(2):
        assert sorted(i for b in loader for i in b.tolist()) == list(range(17))


class Failing(Dataset):
    def __len__(self):
        return 20

    def __getitem__(self, i):
        if i == 7:
            raise ValueError("boom at seven")
        return np.float32(i)


def test_worker_exception_reraised_with_worker_index_and_traceback():
    it = iter(DataLoader(Failing(), batch_size=2, num_workers=2))
    pids = worker_pids(it)
    with pytest.raises(ValueError) as excinfo:
        for _ in it:
            pass
    msg = str(excinfo.value)
    assert "DataLoader worker process 1" in msg
    assert "sample index 7" in msg
    assert "Traceback" in msg and "boom at seven" in msg and "__getitem__" in msg
    assert_gone(pids)


class LocalError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


class NeedsArgs(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        raise LocalError(1, 2)


def test_worker_exception_that_cannot_be_rebuilt_becomes_runtime_error():
    with pytest.raises(RuntimeError, match="Caught LocalError"):
        list(DataLoader(NeedsArgs(), num_workers=2))


class Killer(Dataset):
    def __len__(self):
        return 20

    def __getitem__(self, i):
        if i == 9 and data.get_worker_info() is not None:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


def test_killed_worker_raises_runtime_error_naming_pid_quickly():
    it = iter(DataLoader(Killer(), batch_size=2, num_workers=2))
    pids = worker_pids(it)
    t = time.monotonic()
    with pytest.raises(RuntimeError, match="exited unexpectedly") as excinfo:
        for _ in it:
            pass
    assert time.monotonic() - t < 5
    named = [int(p) for p in re.findall(r"\d{2,}", str(excinfo.value))]
    assert set(named) & set(pids)
    assert_gone(pids)


def test_external_kill_detected():
    class Slow(Dataset):
        def __len__(self):
            return 100

        def __getitem__(self, i):
            time.sleep(0.02)
            return i

    it = iter(DataLoader(Slow(), batch_size=2, num_workers=2))
    next(it)
    pids = worker_pids(it)
    os.kill(pids[1], signal.SIGKILL)
    with pytest.raises(RuntimeError, match=str(pids[1])):
        for _ in it:
            pass
    assert_gone(pids)


class Sleepy(Dataset):
    def __len__(self):
        return 40

    def __getitem__(self, i):
        time.sleep(0.01)
        return i


def test_early_break_shuts_workers_down():
    loader = DataLoader(Sleepy(), batch_size=2, num_workers=2)
    pids = []
    for _ in loader:
        pids = [p.pid for p in multiprocessing.active_children()]
        break
    assert pids
    assert_gone(pids)


def test_deleting_iterator_and_persistent_loader_shuts_workers_down():
    it = iter(DataLoader(Sleepy(), batch_size=2, num_workers=2))
    next(it)
    pids = worker_pids(it)
    del it
    assert_gone(pids)

    loader = DataLoader(Sleepy(), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b.tolist() for b in loader]
    pids = worker_pids(loader._iterator)
    assert all(alive(p) for p in pids)  # kept between epochs
    second = [b.tolist() for b in loader]
    assert worker_pids(loader._iterator) == pids and first == second
    for _ in loader:  # a broken epoch, then a full one on the same workers
        break
    assert [b.tolist() for b in loader] == first
    del loader
    assert_gone(pids)


def test_workers_stop_at_epoch_end():
    it = iter(DataLoader(Sleepy(), batch_size=4, num_workers=2))
    pids = worker_pids(it)
    assert len(list(it)) == 10
    assert_gone(pids)


class Stuck(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(5)
        return i


def test_timeout():
    it = iter(DataLoader(Stuck(), num_workers=2, timeout=0.3))
    pids = worker_pids(it)
    t = time.monotonic()
    with pytest.raises(RuntimeError, match="timed out after 0.3 seconds"):
        next(it)
    assert time.monotonic() - t < 3
    assert_gone(pids)


def test_batches_with_tensors_needing_grad_and_strings_cross():
    class Mixed(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return {"name": f"s{i}", "t": autograd.ones(2) * i}

    def collate(batch):
        out = data.default_collate(batch)
        out["w"] = autograd.ones(1, requires_grad=True)
        return out

    for b in DataLoader(Mixed(), batch_size=2, num_workers=2, collate_fn=collate):
        assert b["name"][0].startswith("s") and b["t"].shape == (2, 2)
        assert b["w"].requires_grad


def test_unpicklable_batch_reports_error():
    class Odd:
        pass

    class D(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return i

    with pytest.raises(Exception, match="while sending batch"):
        list(DataLoader(D(), num_workers=2, collate_fn=lambda b: Odd()))


def test_sample_rng_outside_loader_and_in_collate():
    autograd.manual_seed(3)
    a = data.sample_rng().random()
    autograd.manual_seed(3)
    assert data.sample_rng().random() == a
    assert data.sample_rng(5).random() == data.sample_rng(5).random()

    def collate(batch):
        data.sample_rng()

    with pytest.raises(RuntimeError, match="inside __getitem__"):
        list(DataLoader(list(range(3)), collate_fn=collate))


def test_sample_rng_differs_per_index_and_generator_variant():
    class D(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return data.sample_rng().random(), data.sample_generator()._rng.random()

    g = autograd.Generator().manual_seed(0)
    vals = [b[0].item() for b in DataLoader(D(), generator=g)]
    assert len(set(vals)) == 6


def test_spawn_context_gives_the_same_batches():
    # the fall-back start method on platforms without fork: the dataset is pickled to workers
    def go(**kw):
        g = autograd.Generator().manual_seed(5)
        return run_epochs(epochs=1, shuffle=True, generator=g, **kw)

    assert_same(go(num_workers=0), go(num_workers=2, multiprocessing_context="spawn"))


def _bad_init(worker_id):
    raise OSError(f"cannot open shard {worker_id}")


def test_worker_init_fn_error_is_reraised():
    it = iter(DataLoader(list(range(4)), num_workers=2, worker_init_fn=_bad_init))
    pids = worker_pids(it)
    with pytest.raises(OSError, match="cannot open shard 0"):
        next(it)
    assert_gone(pids)
