"""DataLoader in the main process: arguments, exact len, batch shapes, determinism."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import data
from data import (
    BatchSampler,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)


def make_ds(n):
    return TensorDataset(autograd.arange(n), autograd.randn(n, 2))


def sampler_for(kind, n, num_samples, seed):
    g = autograd.Generator().manual_seed(seed)
    if kind == "sequential":
        return SequentialSampler(range(n))
    if kind == "random":
        return RandomSampler(range(n), num_samples=num_samples, generator=g)
    if kind == "random_replacement":
        return RandomSampler(range(n), replacement=True, num_samples=num_samples, generator=g)
    if kind == "subset":
        return SubsetRandomSampler(list(range(0, n, 2)), generator=g)
    if kind == "weighted":
        return WeightedRandomSampler(np.arange(1.0, n + 1), num_samples or n, generator=g)
    if kind == "weighted_noreplace":
        return WeightedRandomSampler(
            np.arange(1.0, n + 1), min(num_samples or n, n), replacement=False, generator=g
        )
    raise AssertionError(kind)


KINDS = ["none", "shuffle", "sequential", "random", "random_replacement", "subset", "weighted"]
KINDS += ["weighted_noreplace", "batch_sampler"]


@given(
    n=st.integers(1, 40),
    bs=st.integers(1, 9),
    drop_last=st.booleans(),
    kind=st.sampled_from(KINDS),
    num_samples=st.one_of(st.none(), st.integers(1, 60)),
    seed=st.integers(0, 100),
)
def test_len_and_batch_shapes_exact(n, bs, drop_last, kind, num_samples, seed):
    ds = make_ds(n)
    if kind == "none":
        loader = DataLoader(ds, batch_size=bs, drop_last=drop_last)
        n_idx = n
    elif kind == "shuffle":
        g = autograd.Generator().manual_seed(seed)
        loader = DataLoader(ds, batch_size=bs, shuffle=True, drop_last=drop_last, generator=g)
        n_idx = n
    elif kind == "batch_sampler":
        inner = sampler_for("random", n, num_samples, seed)
        loader = DataLoader(ds, batch_sampler=BatchSampler(inner, bs, drop_last))
        n_idx = len(inner)
    else:
        sampler = sampler_for(kind, n, num_samples, seed)
        loader = DataLoader(ds, batch_size=bs, sampler=sampler, drop_last=drop_last)
        n_idx = len(sampler)
    expected_len = n_idx // bs if drop_last else -(-n_idx // bs)
    assert len(loader) == expected_len
    for _ in range(2):  # two epochs
        batches = list(loader)
        assert len(batches) == expected_len
        sizes = [b[0].shape[0] for b in batches]
        assert all(s == bs for s in sizes[:-1])
        if sizes:
            assert sizes[-1] == bs if drop_last else 1 <= sizes[-1] <= bs
        assert sum(sizes) == (n_idx // bs) * bs if drop_last else sum(sizes) == n_idx
        for x, y in batches:
            assert x.dtype == np.int64 and y.shape == (x.shape[0], 2) and y.dtype == np.float32
            np.testing.assert_array_equal(y.numpy(), ds.tensors[1].numpy()[x.numpy()])


def test_shuffle_each_index_once_per_epoch_new_order():
    ds = make_ds(23)
    loader = DataLoader(ds, batch_size=5, shuffle=True)
    epochs = [np.concatenate([b[0].numpy() for b in loader]).tolist() for _ in range(3)]
    assert all(sorted(e) == list(range(23)) for e in epochs)
    assert epochs[0] != epochs[1] != epochs[2]


def test_sampler_with_replacement_through_loader():
    ds = make_ds(30)
    s = RandomSampler(ds, replacement=True, generator=autograd.Generator().manual_seed(0))
    idx = np.concatenate([b[0].numpy() for b in DataLoader(ds, batch_size=7, sampler=s)])
    assert len(idx) == 30 and len(set(idx.tolist())) < 30


def epoch_lists(loader, epochs=3):
    return [[b[0].tolist() for b in loader] for _ in range(epochs)]


def test_determinism_generator_and_global_seed():
    ds = make_ds(20)

    def run(seed):
        g = autograd.Generator().manual_seed(seed)
        return epoch_lists(DataLoader(ds, batch_size=4, shuffle=True, generator=g))

    assert run(1) == run(1) and run(1) != run(2)

    def run_global(seed):
        autograd.manual_seed(seed)
        return epoch_lists(DataLoader(ds, batch_size=4, shuffle=True))

    assert run_global(5) == run_global(5) and run_global(5) != run_global(6)


def test_argument_conflicts():
    ds = make_ds(4)
    s = SequentialSampler(ds)
    bsamp = BatchSampler(s, 2, False)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=s, shuffle=True)
    for kw in [dict(batch_size=2), dict(shuffle=True), dict(sampler=s), dict(drop_last=True)]:
        with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
            DataLoader(ds, batch_sampler=bsamp, **kw)
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError) as excinfo:
        DataLoader(ds, timeout=-1)
    assert str(excinfo.value) == "timeout option should be non-negative"
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="multiprocessing_context"):
        DataLoader(ds, multiprocessing_context="fork")
    loader = DataLoader(ds)
    with pytest.raises(ValueError, match="should not be set after"):
        loader.batch_size = 3


def test_batch_size_none_no_collation():
    ds = [np.array([i, i]) for i in range(3)]
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == 3 and items[1].shape == (2,) and isinstance(items[1], autograd.Tensor)
    assert len(DataLoader(ds, batch_size=None)) == 3


def test_collate_fn_override_and_plain_list_dataset():
    loader = DataLoader(list(range(7)), batch_size=3, collate_fn=lambda b: sum(b))
    assert list(loader) == [3, 12, 6]


def test_timeout_without_workers_fails_at_iter_as_pytorch():
    # PyTorch accepts it when built and fails when an iterator is made
    g = autograd.Generator().manual_seed(0)
    loader = DataLoader(make_ds(4), timeout=1.0, shuffle=True, generator=g)
    for _ in range(2):
        with pytest.raises(AssertionError) as excinfo:
            iter(loader)
        assert str(excinfo.value) == "_SingleProcessDataLoaderIter requires timeout == 0"
    loader.timeout = 0  # not a frozen attribute, as in PyTorch
    assert len(list(loader)) == 4


_NO_ACCELERATOR = (
    "'pin_memory' argument is set as true but no accelerator is found, then device pinned "
    "memory won't be used."
)


def pin_warnings(record):
    return [(w.category, str(w.message), w.filename) for w in record]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_pin_memory_warns_for_each_iterator_as_pytorch_without_accelerator(num_workers):
    import warnings

    import data.dataloader as dl_module

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        loader = DataLoader(make_ds(3), pin_memory=True, num_workers=num_workers)
        assert record == []  # not when built
        it = iter(loader)
        # a UserWarning, pointing into the loader's module as PyTorch's points into its own
        assert pin_warnings(record) == [(UserWarning, _NO_ACCELERATOR, dl_module.__file__)]
        assert len(list(it)) == 3 and len(record) == 1  # once per iterator, not per batch
        assert len(list(loader)) == 3 and len(record) == 2
    # persistent workers: one iterator for every epoch, so one warning
    if num_workers:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            loader = DataLoader(make_ds(3), pin_memory=True, num_workers=2, persistent_workers=True)
            for _ in range(3):
                assert len(list(loader)) == 3
            assert len(record) == 1
            del loader


def test_pin_memory_device_deprecated_as_pytorch():
    import warnings

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert len(list(DataLoader(make_ds(3), pin_memory=True, pin_memory_device="cuda"))) == 3
    assert [str(w.message) for w in record] == [
        "pin_memory_device is deprecated, the current accelerator will be used as the device,"
        "ignore pin_memory_device='cuda'.",
        _NO_ACCELERATOR,
    ]
    assert all(w.category is UserWarning for w in record)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        list(DataLoader(make_ds(3), pin_memory_device="cuda"))  # without pin_memory: silent
        list(DataLoader(make_ds(3)))
    assert record == []


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


def test_iterable_dataset_single_process():
    loader = DataLoader(Stream(10), batch_size=4)
    batches = [b.tolist() for b in loader]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(loader) == 3
    loader = DataLoader(Stream(10), batch_size=4, drop_last=True)
    assert [b.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(loader) == 2
    assert [int(x) for x in DataLoader(Stream(3), batch_size=None)] == [0, 1, 2]


def test_iterable_dataset_rejects_samplers():
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="sampler"):
        DataLoader(Stream(3), sampler=[0, 1])
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(Stream(3), batch_sampler=[[0]])


def test_epoch_counter():
    loader = DataLoader(make_ds(4), batch_size=2)
    assert loader.epoch == 0
    list(loader)
    list(loader)
    assert loader.epoch == 2


def test_dict_samples_and_getitems_dataset():
    class D(data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float32), "y": i}

    b = next(iter(DataLoader(D(), batch_size=5)))
    assert b["x"].shape == (5, 2) and b["y"].tolist() == [0, 1, 2, 3, 4]

    class G(D):
        def __getitems__(self, idx):
            return [{"x": np.zeros(1), "y": -i} for i in idx]

    b = next(iter(DataLoader(G(), batch_size=3)))
    assert b["y"].tolist() == [0, -1, -2]
