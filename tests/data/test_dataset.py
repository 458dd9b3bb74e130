"""Datasets: TensorDataset, Subset, ConcatDataset, StackDataset, ChainDataset, random_split."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import data
from data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


def test_public_names():
    from data import DataLoader, TensorDataset  # noqa: F401

    for name in [
        "Dataset",
        "IterableDataset",
        "random_split",
        "get_worker_info",
        "default_collate",
        "SequentialSampler",
        "RandomSampler",
        "SubsetRandomSampler",
        "WeightedRandomSampler",
        "BatchSampler",
        "sample_rng",
    ]:
        assert hasattr(data, name), name
    assert data.get_worker_info() is None
    assert hasattr(data.datasets, "Digits") and hasattr(data.datasets, "MNIST")


def test_tensor_dataset():
    x = autograd.randn(5, 3)
    y = autograd.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), x.numpy()[2])
    assert yi.item() == 2


def test_tensor_dataset_size_mismatch():
    # PyTorch's type and message, raised explicitly (not an assert statement)
    for tensors in (
        (autograd.zeros(3, 2), autograd.zeros(4)),
        (autograd.zeros(3), autograd.zeros(3), np.zeros(2)),
    ):
        with pytest.raises(AssertionError) as excinfo:
            TensorDataset(*tensors)
        assert str(excinfo.value) == "Size mismatch between tensors"
    with pytest.raises(ValueError):
        TensorDataset()


def test_subset_and_getitems():
    ds = TensorDataset(autograd.arange(10))
    sub = Subset(ds, [9, 3, 5])
    assert len(sub) == 3
    assert sub[0][0].item() == 9
    assert [s[0].item() for s in sub.__getitems__([2, 0])] == [5, 9]


def test_concat_dataset():
    a = TensorDataset(autograd.arange(3))
    b = TensorDataset(autograd.arange(10, 14))
    c = a + b
    assert isinstance(c, ConcatDataset) and len(c) == 7
    assert c.cumulative_sizes == [3, 7]
    assert [c[i][0].item() for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert c[-1][0].item() == 13
    with pytest.raises(IndexError):
        c[7]
    with pytest.raises(ValueError):
        c[-8]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_concat_rejects_iterable_and_chain():
    with pytest.raises(ValueError, match="IterableDataset"):
        ConcatDataset([Count(3)])
    ch = Count(2) + Count(3)
    assert isinstance(ch, ChainDataset)
    assert list(ch) == [0, 1, 0, 1, 2] and len(ch) == 5


def test_stack_dataset():
    a, b = TensorDataset(autograd.arange(3)), [10, 11, 12]
    s = StackDataset(a, b)
    assert len(s) == 3 and s[1][1] == 11
    d = StackDataset(x=a, y=b)
    assert d[2]["y"] == 12
    with pytest.raises(ValueError):
        StackDataset(a, [1])


def test_dataset_base_class():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(TypeError):
        len(Dataset())


@given(n=st.integers(0, 40), k=st.integers(1, 4), seed=st.integers(0, 1000))
def test_random_split_lengths_partition(n, k, seed):
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.integers(0, n + 1, size=k - 1))
    lengths = np.diff(np.concatenate([[0], cuts, [n]])).tolist()
    parts = random_split(range(n), lengths, generator=autograd.Generator().manual_seed(seed))
    assert [len(p) for p in parts] == lengths
    seen = sorted(i for p in parts for i in (p[j] for j in range(len(p))))
    assert seen == list(range(n))


def test_random_split_fractions_pytorch_rule():
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        parts = random_split(range(5), [0.5, 0.5, 0.0], generator=autograd.Generator())
    # floor(2.5), floor(2.5), 0 and the remainder 1 goes to the first split
    assert [len(p) for p in parts] == [3, 2, 0]
    parts = random_split(range(30), [0.3, 0.3, 0.4])
    assert [len(p) for p in parts] == [9, 9, 12]
    parts = random_split(range(11), [0.2, 0.3, 0.5])
    # floors 2, 3, 5 (sum 10): the remainder 1 goes round-robin from the first split
    assert [len(p) for p in parts] == [3, 3, 5]


def test_random_split_generator_determinism():
    def split(seed):
        parts = random_split(range(20), [5, 15], generator=autograd.Generator().manual_seed(seed))
        return [list(p.indices) for p in parts]

    assert split(1) == split(1) and split(1) != split(2)
    autograd.manual_seed(7)
    a = [list(p.indices) for p in random_split(range(20), [10, 10])]
    autograd.manual_seed(7)
    assert a == [list(p.indices) for p in random_split(range(20), [10, 10])]


def test_random_split_errors():
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])


def test_subset_subclass_getitem_is_used_by_loader():
    class Doubled(Subset):
        def __getitem__(self, idx):
            return 2 * super().__getitem__(idx)

    ds = Doubled(list(range(10)), [1, 2, 3])
    assert [b.tolist() for b in data.DataLoader(ds, batch_size=3)] == [[2, 4, 6]]


def test_subset_of_augmented_dataset_keys_sample_rng_by_loader_index():
    class Aug(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return data.sample_rng().random()

    sub = Subset(Aug(), [5, 4, 3, 2])
    g = autograd.Generator().manual_seed(0)
    batched = data.DataLoader(sub, batch_size=4, generator=g)
    a = next(iter(batched)).tolist()
    g = autograd.Generator().manual_seed(0)
    single = data.DataLoader(sub, batch_size=1, generator=g)
    b = [x.item() for x in single]
    assert a == b and len(set(a)) == 4
