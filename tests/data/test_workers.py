"""DataLoader with worker processes: same batches as num_workers=0, seeding, faults, cleanup.

Faults (an exception, a timeout, a dead worker) behave as in PyTorch 2.13: the error is raised
and the iterator can go on; the expected sequences below are the ones PyTorch gives for the
same datasets. Kept quick: tiny datasets, two workers, short timeouts. Nothing here is skipped.
"""

import faulthandler
import multiprocessing
import os
import random
import signal
import time

import numpy as np
import pytest

import autograd
import data
from data import DataLoader, Dataset, IterableDataset, TensorDataset


@pytest.fixture(autouse=True)
def hang_guard():
    """Fail a test that runs past 60 s (a loader that hangs) instead of hanging the suite."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError("the test ran past 60 s: a DataLoader hang?")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(60)  # not inherited by forked workers
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


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


def drain(it, limit=50):
    """next(it) until StopIteration, recording each batch (as a list) or each error."""
    out, errors = [], []
    for _ in range(limit):
        try:
            b = next(it)
        except StopIteration:
            out.append("STOP")
            return out, errors
        except Exception as e:
            out.append(type(e).__name__)
            errors.append(e)
            continue
        out.append(b.tolist() if hasattr(b, "tolist") else b)
    raise AssertionError(f"no StopIteration after {limit} calls: {out}")


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


def test_two_workers_equal_zero_workers_shuffled_and_augmented():
    def go(nw, **kw):
        g = autograd.Generator().manual_seed(123)
        return run_epochs(shuffle=True, generator=g, num_workers=nw, **kw)

    ref = go(0)
    assert_same(ref, go(2))
    # the epochs differ in order and in augmentation
    assert not np.array_equal(ref[0][0][1], ref[1][0][1])


def test_persistent_workers_draw_the_base_seed_once_as_pytorch():
    # PyTorch: a persistent loader keeps one iterator, so its base seed is drawn from the
    # generator once (first epoch); later epochs take the sampler's order straight from the
    # generator. The first epoch is that of num_workers=0; the later ones are a non-persistent
    # loader's orders without the base-seed draws in between.
    from autograd.random import _rng

    g = autograd.Generator().manual_seed(123)
    persistent = run_epochs(3, shuffle=True, generator=g, num_workers=2, persistent_workers=True)
    g = autograd.Generator().manual_seed(123)
    plain = run_epochs(3, shuffle=True, generator=g, num_workers=0)
    assert_same(persistent[:1], plain[:1])
    g = autograd.Generator().manual_seed(123)
    _rng(g).integers(0, 2**63)  # the one base seed
    orders = [list(data.RandomSampler(range(24), generator=g)) for _ in range(3)]
    for epoch, batches in enumerate(persistent):
        assert np.concatenate([y for _, y in batches]).tolist() == orders[epoch]
    # the per-sample streams still differ between epochs (they are keyed on the epoch)
    x0 = {int(i): x for xs, ys in persistent[0] for x, i in zip(xs, ys)}
    x1 = {int(i): x for xs, ys in persistent[1] for x, i in zip(xs, ys)}
    assert all(not np.array_equal(x0[i], x1[i]) for i in range(24))


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


def test_persistent_workers_are_seeded_once_as_pytorch():
    # PyTorch: get_worker_info().seed is base_seed + id in every epoch, and the workers'
    # generators are not reseeded: Python's random in worker i gives, over the epochs, the
    # consecutive draws of random.Random(base_seed + i) (batch k goes to worker k % 2, from
    # worker 0 again at each epoch); likewise NumPy's global RNG and autograd's generator.
    g = autograd.Generator().manual_seed(4)
    loader = DataLoader(Seeds(), batch_size=1, num_workers=2, persistent_workers=True, generator=g)
    epochs = [list(loader) for _ in range(3)]
    base = epochs[0][0]["seed"].item()
    g2 = autograd.Generator().manual_seed(4)
    from autograd.random import _rng

    assert base == int(_rng(g2).integers(0, 2**63))  # drawn once, as for a plain loader
    for i in (0, 1):
        mine = [b for batches in epochs for b in batches if b["worker"].item() == i]
        assert len(mine) == 6
        assert {b["seed"].item() for b in mine} == {base + i}
        py = random.Random(base + i)
        assert [b["py"].item() for b in mine] == [py.random() for _ in range(6)]
        legacy = np.random.RandomState((base + i) % 2**32)  # noqa: NPY002
        assert [b["np"].item() for b in mine] == legacy.random_sample(6).tolist()
        ag = autograd.Generator().manual_seed(base + i)
        expected = [autograd.rand(1, generator=ag).item() for _ in range(6)]
        assert [b["ag"].item() for b in mine] == pytest.approx(expected, rel=0, abs=0)
    del loader


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


FAILING_SEQUENCE = [
    [0, 1],
    [2, 3],
    [4, 5],
    "ValueError",
    [8, 9],
    [10, 11],
    [12, 13],
    [14, 15],
    [16, 17],
    [18, 19],
    "STOP",
]  # what PyTorch gives, with and without workers


def test_worker_exception_reraised_and_the_epoch_goes_on_as_pytorch():
    it = iter(DataLoader(Failing(), batch_size=2, num_workers=2))
    pids = worker_pids(it)
    out, errors = [], []
    for _ in range(4):
        try:
            out.append(next(it).tolist())
        except ValueError as e:
            out.append("ValueError")
            errors.append(e)
            assert all(alive(p) for p in pids)  # the workers go on
    rest, more = drain(it)
    assert out + rest == FAILING_SEQUENCE and not more
    msg = str(errors[0])
    # PyTorch's wrapping, then the worker's traceback; ours adds the sample index and pid
    assert msg.startswith(
        "Caught ValueError in DataLoader worker process 1.\nOriginal Traceback (most recent "
        "call last):\n"
    )
    assert "ValueError: boom at seven\n" in msg and "__getitem__" in msg
    assert "sample index 7 of batch [6, 7]" in msg
    assert_gone(pids)  # the epoch ended
    assert drain(iter(DataLoader(Failing(), batch_size=2)))[0] == FAILING_SEQUENCE


def test_exception_in_a_for_loop_leaves_no_worker_behind():
    # the loop drops the iterator; a caller keeping the exception must not keep the workers
    loader = DataLoader(Failing(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError, match="boom at seven") as excinfo:
        for _ in loader:
            pids = [p.pid for p in multiprocessing.active_children()]
    assert len(pids) == 2
    assert_gone(pids)
    # the traceback still shows where it went: the loader's __next__
    assert any(entry.name == "__next__" for entry in excinfo.traceback)


def test_deleting_the_iterator_after_an_error_stops_its_workers():
    it = iter(DataLoader(Failing(), batch_size=2, num_workers=2))
    pids = worker_pids(it)
    try:
        while True:
            next(it)
    except ValueError as e:
        kept = e  # noqa: F841  (kept on purpose: it must not keep the workers)
    assert all(alive(p) for p in pids)
    del it
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
    """Worker 0 dies at sample 9 (batch 4), well after worker 1 has answered batch 3."""

    def __init__(self, how):
        self.how = how

    def __len__(self):
        return 20

    def __getitem__(self, i):
        if i == 9 and data.get_worker_info() is not None:
            time.sleep(1.0)
            if self.how == "SIGKILL":
                os.kill(os.getpid(), signal.SIGKILL)
            elif self.how == "SIGSEGV":
                faulthandler.disable()  # pytest's, inherited by the fork: no dump in the log
                os.kill(os.getpid(), signal.SIGSEGV)
            else:
                os._exit(self.how)
        return i


@pytest.mark.parametrize("how", ["SIGKILL", "SIGSEGV", 3, 0])
def test_dead_worker_raises_pytorch_error_and_the_others_go_on(how):
    it = iter(DataLoader(Killer(how), batch_size=2, num_workers=2))
    pids = worker_pids(it)
    t = time.monotonic()
    out, errors = drain(it)
    assert time.monotonic() - t < 10  # never hangs
    # PyTorch: the batches worker 0 held ([8, 9] and [12, 13]) are lost, worker 1 goes on
    assert out == [
        [0, 1],
        [2, 3],
        [4, 5],
        [6, 7],
        "RuntimeError",
        [10, 11],
        [14, 15],
        [16, 17],
        [18, 19],
        "STOP",
    ]
    (err,) = errors
    assert str(err) == f"DataLoader worker (pid(s) {pids[0]}) exited unexpectedly"
    # the cause PyTorch's SIGCHLD handler gives (none for exit code 0: the queue's Empty)
    causes = {
        "SIGKILL": f"DataLoader worker (pid {pids[0]}) is killed by signal: Killed. ",
        "SIGSEGV": f"DataLoader worker (pid {pids[0]}) is killed by signal: Segmentation fault. ",
        3: f"DataLoader worker (pid {pids[0]}) exited unexpectedly with exit code 3. Details are "
        "lost due to multiprocessing. Rerunning with num_workers=0 may give better error trace.",
    }
    if how == 0:
        assert type(err.__cause__).__name__ == "Empty"
    else:
        assert type(err.__cause__) is RuntimeError and str(err.__cause__) == causes[how]
    assert_gone(pids)


def test_single_worker_killed_then_the_epoch_ends():
    it = iter(DataLoader(Killer(1), batch_size=2, num_workers=1))
    pids = worker_pids(it)
    out, _ = drain(it)
    assert out == [[0, 1], [2, 3], [4, 5], [6, 7], "RuntimeError", "STOP"]
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
    t = time.monotonic()
    out, errors = drain(it, limit=100)
    assert time.monotonic() - t < 20
    (err,) = errors
    assert str(err) == f"DataLoader worker (pid(s) {pids[1]}) exited unexpectedly"
    assert str(err.__cause__) == f"DataLoader worker (pid {pids[1]}) is killed by signal: Killed. "
    batches = [b for b in out if isinstance(b, list)]
    firsts = [b[0] for b in batches]
    # worker 0 goes on, in order; only the few batches the dead worker held are lost
    assert firsts == sorted(firsts) and len(batches) >= 30
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


class Late(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 1:
            time.sleep(1.2)
        return i


def test_timeout_then_the_same_batch_as_pytorch():
    # PyTorch: [0], then "timed out" each time the wait for batch 1 runs out (the iterator is
    # left as it was), then [1], [2], ... as they come
    it = iter(DataLoader(Late(), num_workers=2, timeout=0.3))
    pids = worker_pids(it)
    assert next(it).tolist() == [0]
    t = time.monotonic()
    with pytest.raises(RuntimeError) as excinfo:
        next(it)
    assert str(excinfo.value) == "DataLoader timed out after 0.3 seconds"
    assert 0.25 < time.monotonic() - t < 3
    assert all(alive(p) for p in pids)  # nothing was stopped
    t = time.monotonic()
    out, errors = drain(it)
    waited = time.monotonic() - t
    assert [b for b in out if b != "RuntimeError"] == [[1], [2], [3], [4], [5], "STOP"]
    assert all(str(e) == "DataLoader timed out after 0.3 seconds" for e in errors)
    assert errors  # batch 1 takes 1.2 s: it times out again while the drain waits for it
    assert len(errors) * 0.3 <= waited + 0.05  # each timeout waited its full 0.3 s
    assert_gone(pids)


def test_deleting_the_iterator_after_a_timeout_stops_stuck_workers():
    it = iter(DataLoader(Stuck(), num_workers=2, timeout=0.3))
    pids = worker_pids(it)
    t = time.monotonic()
    with pytest.raises(RuntimeError, match="timed out after 0.3 seconds"):
        next(it)
    assert time.monotonic() - t < 3
    del it
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


def test_worker_init_fn_error_is_reraised_as_pytorch():
    # PyTorch: each worker's first batch raises its worker_init_fn error; its later batches
    # UnboundLocalError (the worker has no fetcher); the epoch goes on to its end
    it = iter(DataLoader(list(range(6)), num_workers=2, worker_init_fn=_bad_init))
    pids = worker_pids(it)
    out, errors = drain(it)
    assert out == ["OSError", "OSError"] + ["UnboundLocalError"] * 4 + ["STOP"]
    heads = [str(e).split("\n")[0] for e in errors]
    assert heads == [
        f"Caught {type(e).__name__} in DataLoader worker process {k % 2}."
        for k, e in enumerate(errors)
    ]
    assert "cannot open shard 0" in str(errors[0]) and "cannot open shard 1" in str(errors[1])
    assert all("\nOriginal Traceback (most recent call last):\n" in str(e) for e in errors)
    assert_gone(pids)
