"""``import autograd as torch`` reaches the whole ``torch`` namespace (NOTE [ The torch
namespace ] in ``autograd/_aliases.py``), lazily, with one identity per module and class."""

from __future__ import annotations

import io
import math
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import autograd as torch


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    ).stdout


# -- aliases -------------------------------------------------------------------------------------
def test_aliases_are_the_packages_themselves():
    import data
    import nn
    import nn.functional
    import optim

    assert torch.nn is nn
    assert torch.nn.functional is nn.functional
    assert torch.nn.init is nn.init
    assert torch.nn.utils is nn.utils
    assert torch.optim is optim
    assert torch.optim.lr_scheduler is optim.lr_scheduler
    assert torch.utils.data is data
    assert torch.utils.data.DataLoader is data.DataLoader
    assert sys.modules["autograd.nn"] is nn
    # the real module keeps its own spec (the alias does not rename it)
    assert nn.__spec__.name == "nn" and nn.__name__ == "nn"


def test_import_paths_resolve_to_the_same_objects():
    import autograd.nn as tnn
    import autograd.nn.functional as F
    import autograd.optim.lr_scheduler as sched
    from autograd.nn import Module
    from autograd.nn.modules.linear import Linear
    from autograd.utils.data import DataLoader, TensorDataset

    import nn

    assert tnn is nn and F is nn.functional and Module is nn.Module and Linear is nn.Linear
    assert sched.StepLR is torch.optim.lr_scheduler.StepLR
    ds = TensorDataset(torch.arange(6.0).reshape(3, 2))
    assert len(list(DataLoader(ds, batch_size=2))) == 2
    # class identity survives whichever path built the object
    assert isinstance(Linear(2, 2), nn.Module)


def test_import_autograd_stays_free_of_layer_code_in_a_fresh_interpreter():
    out = _run(
        """
        import sys, autograd
        print(sorted({'nn', 'optim', 'data', 'autograd.nn', 'autograd.utils'} & set(sys.modules)))
        import autograd.nn
        print('nn' in sys.modules, 'optim' in sys.modules, 'data' in sys.modules)
        """
    )
    assert out.split("\n")[:2] == ["[]", "True False False"]


def test_scripts_reach_everything_after_a_bare_import_in_a_fresh_interpreter():
    out = _run(
        """
        import autograd as torch
        m = torch.nn.Linear(3, 2)
        opt = torch.optim.SGD(m.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, 1)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 3)))
        y = torch.nn.functional.relu(m(torch.ones(4, 3)))
        print(type(m).__module__, len(loader), torch.autograd.grad is torch.grad)
        """
    )
    assert out.strip() == "nn.modules.linear 4 True"


def test_autograd_utils_adds_data_to_a_real_package(tmp_path):
    # autograd/utils/ may be a real package (checkpoint lives there): the alias must still work
    pkg = tmp_path / "utils"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("MARK = 'real'\n")
    (pkg / "checkpoint.py").write_text("def checkpoint(fn, *a, **k):\n    return fn(*a)\n")
    out = _run(
        f"""
        import autograd
        autograd.__path__.insert(0, {str(tmp_path)!r})
        import autograd as torch, data
        u = torch.utils
        print(u.MARK, u.data is data, u.checkpoint.checkpoint(abs, -2))
        from autograd.utils.data import DataLoader
        print(DataLoader is data.DataLoader)
        """
    )
    assert out.split() == ["real", "True", "2", "True"]


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        torch.nope  # noqa: B018
    assert "nn" in dir(torch) and "cuda" in dir(torch)


# -- torch.autograd ------------------------------------------------------------------------------
def test_torch_autograd_namespace():
    ag = torch.autograd
    assert ag.grad is torch.grad and ag.backward is torch.backward
    assert ag.Function is torch.Function and ag.gradcheck is torch.gradcheck
    assert ag.gradgradcheck is torch.gradgradcheck and ag.no_grad is torch.no_grad
    from autograd.autograd.functional import jacobian

    assert ag.functional.jacobian is jacobian
    x = torch.ones(2)
    v = ag.Variable(x, requires_grad=True)
    assert v.requires_grad and not x.requires_grad
    assert ag.Variable(x) is x


# -- CPU-only queries ------------------------------------------------------------------------------
def test_cuda_backends_and_accelerator_queries():
    assert torch.cuda.is_available() is False and torch.cuda.device_count() == 0
    torch.cuda.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    assert torch.backends.mps.is_available() is False
    assert torch.accelerator.is_available() is False
    assert torch.accelerator.current_accelerator() is None
    import autograd.backends.cudnn as cudnn

    assert cudnn.enabled and not cudnn.benchmark and not cudnn.deterministic
    try:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = True
        assert cudnn.benchmark and cudnn.deterministic
    finally:
        cudnn.benchmark = cudnn.deterministic = False
    torch.backends.cuda.matmul.allow_tf32 = False


def test_onnx_imports_and_export_refuses():
    # word_language_model/main.py has ``import torch.onnx`` at its top and exports only on request
    import autograd.onnx

    assert torch.onnx is autograd.onnx
    assert torch.onnx.is_in_onnx_export() is False
    with pytest.raises(RuntimeError, match="no ONNX exporter"):
        torch.onnx.export(torch.nn.Linear(2, 2), (torch.zeros(1, 2),), "m.onnx")


def test_jit_decorators_are_the_identity_and_queries_answer_false():
    # model code marks helpers @torch.jit.script and branches on torch.jit.is_scripting()
    import autograd.jit

    assert torch.jit is autograd.jit

    @torch.jit.script
    def gelu2(x):
        return x * 2

    assert gelu2(torch.ones(2)).tolist() == [2.0, 2.0]
    assert torch.jit.trace(gelu2, (torch.ones(1),)) is gelu2
    assert torch.jit.is_scripting() is False and torch.jit.is_tracing() is False

    class M(torch.nn.Module):
        @torch.jit.ignore
        def a(self):
            return 1

        @torch.jit.ignore(drop=True)
        def b(self):
            return 2

        @torch.jit.unused
        def c(self):
            return 3

    assert (M().a(), M().b(), M().c()) == (1, 2, 3)
    assert torch.jit.annotate(list, []) == []
    with pytest.raises(RuntimeError, match="no TorchScript"):
        torch.jit.save(M(), "m.pt")


def test_float32_matmul_precision_is_recorded_and_checked():
    before = torch.get_float32_matmul_precision()
    assert before == "highest"
    try:
        torch.set_float32_matmul_precision("high")
        assert torch.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            torch.set_float32_matmul_precision("foo")
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision(before)


# -- legacy constructors ---------------------------------------------------------------------------
def test_tensor_constructor_takes_sizes_or_data_as_pytorch():
    x = torch.Tensor(3, 4)
    assert x.shape == (3, 4) and x.dtype == torch.float32 and not x.requires_grad
    assert torch.Tensor(5).shape == (5,)
    assert torch.Tensor(torch.Size([2, 3])).shape == (2, 3)
    assert torch.Tensor().shape == (0,)
    np.testing.assert_array_equal(torch.Tensor([1, 2]).numpy(), [1.0, 2.0])
    assert torch.Tensor([1, 2]).dtype == torch.float32
    np.testing.assert_array_equal(torch.Tensor((2, 3)).numpy(), [2.0, 3.0])  # a tuple is data
    t = torch.tensor([1, 2])
    alias = torch.Tensor(t)
    assert alias.dtype == torch.int64 and np.shares_memory(alias.numpy(), t.numpy())
    with pytest.raises(TypeError, match="must be a sequence"):
        torch.Tensor(2.5)
    with pytest.raises(TypeError):
        torch.Tensor([1, 2], 3)
    with pytest.raises(RuntimeError, match="negative dimension"):
        torch.Tensor(-1)


def test_legacy_typed_constructors_and_isinstance():
    assert torch.FloatTensor(2, 2).dtype == torch.float32
    assert torch.DoubleTensor(2).dtype == torch.float64
    np.testing.assert_array_equal(torch.LongTensor([1.7, 2]).numpy(), [1, 2])
    assert torch.IntTensor(2).dtype == torch.int32
    assert torch.BoolTensor([1, 0]).tolist() == [True, False]
    x = torch.zeros(2)
    assert isinstance(x, torch.FloatTensor) and not isinstance(x, torch.DoubleTensor)
    assert isinstance(x.long(), torch.LongTensor)
    assert not issubclass(torch.FloatTensor, torch.Tensor)  # as in PyTorch
    assert x.type() == "torch.FloatTensor" and x.long().type() == "torch.LongTensor"
    assert x.type(torch.DoubleTensor).dtype == torch.float64
    assert x.type("torch.LongTensor").dtype == torch.int64


# -- small top-level functions ---------------------------------------------------------------------
def test_constants_and_dtype_objects():
    assert torch.inf == math.inf and math.isnan(torch.nan)
    assert torch.pi == math.pi and torch.e == math.e and torch.newaxis is None
    assert isinstance(torch.float32, torch.dtype) and isinstance(torch.int64, torch.dtype)
    assert torch.get_default_dtype() == torch.float32
    assert torch.zeros(2, 3)[:, torch.newaxis].shape == (2, 1, 3)


def test_finfo_iinfo_match_pytorch_fields():
    fi = torch.finfo(torch.float32)
    assert fi.bits == 32 and fi.eps == float(np.finfo(np.float32).eps)
    assert fi.tiny == fi.smallest_normal == float(np.finfo(np.float32).tiny)
    assert fi.resolution == 1e-06 and fi.max == float(np.finfo(np.float32).max)
    assert fi.min == -fi.max and fi.dtype == "float32"
    assert repr(fi) == (
        "finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, "
        "smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=float32)"
    )
    assert torch.finfo().dtype == "float32"
    ii = torch.iinfo(torch.int64)
    assert (ii.bits, ii.max, ii.min) == (64, 2**63 - 1, -(2**63))
    assert repr(ii) == "iinfo(min=-9.22337e+18, max=9.22337e+18, dtype=int64)"
    assert torch.iinfo(torch.uint8).max == 255
    with pytest.raises(TypeError):
        torch.finfo(torch.int32)
    with pytest.raises(TypeError):
        torch.iinfo(torch.float32)


def test_promotion_queries_follow_pytorch():
    assert torch.result_type(torch.tensor([1]), 1.0) == torch.float32
    assert torch.result_type(torch.tensor([1], dtype=torch.int32), 1) == torch.int32
    assert torch.result_type(2, 1.5) == torch.float32
    assert torch.promote_types(torch.int32, torch.float32) == torch.float32
    assert torch.promote_types(torch.int64, torch.float16) == torch.float16  # NumPy: float64
    assert torch.promote_types(torch.uint8, torch.int8) == torch.int16
    assert torch.can_cast(torch.float64, torch.float32)
    assert not torch.can_cast(torch.float32, torch.int32)
    assert not torch.can_cast(torch.int64, torch.bool)
    assert torch.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert isinstance(torch.broadcast_shapes(2, (3, 1)), torch.Size)
    with pytest.raises(RuntimeError, match="Shape mismatch"):
        torch.broadcast_shapes((2,), (3,))


def test_float_tensor_with_int_tensor_keeps_the_float_dtype():
    # NumPy gives float64 for float32 with int64; PyTorch keeps float32 (the polynomial
    # tutorial's ``x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))`` must stay float32)
    x = torch.linspace(-1.0, 1.0, 4)
    p = torch.tensor([1, 2, 3])
    assert torch.result_type(x, p) == torch.float32
    assert x.unsqueeze(-1).pow(p).dtype == torch.float32
    assert (x * torch.arange(4)).dtype == torch.float32
    h = torch.ones(3, dtype=torch.float16)
    assert (h + torch.arange(3)).dtype == torch.float16
    assert (torch.ones(2, dtype=torch.bool) + torch.ones(2, dtype=torch.uint8)).dtype == torch.uint8
    assert (
        torch.ones(2, dtype=torch.int32) + torch.ones(2, dtype=torch.int64)
    ).dtype == torch.int64
    x = torch.ones(3, requires_grad=True)
    (x * torch.arange(3)).sum().backward()
    assert x.grad.dtype == torch.float32


def test_is_tensor_numel_is_floating_point():
    x = torch.zeros(2, 3)
    assert torch.is_tensor(x) and not torch.is_tensor(np.zeros(2))
    assert torch.numel(x) == 6
    assert torch.is_floating_point(x) and not torch.is_floating_point(x.long())


def test_determinism_switch_is_recorded():
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
    assert not torch.are_deterministic_algorithms_enabled()
    with pytest.raises(TypeError):
        torch.use_deterministic_algorithms("yes")


def test_set_num_threads_uses_threadpoolctl():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = torch.get_num_threads()
    with threadpoolctl.threadpool_limits(limits=before, user_api="blas"):
        torch.set_num_threads(1)
        if any(p["user_api"] == "blas" for p in threadpoolctl.threadpool_info()):
            assert torch.get_num_threads() == 1
    with pytest.raises(RuntimeError):
        torch.set_num_threads(0)


def test_set_num_threads_without_threadpoolctl_says_it_did_nothing(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import raises ImportError
    with pytest.warns(UserWarning, match="had no effect"):
        torch.set_num_threads(2)
    assert torch.get_num_threads() >= 1


def test_safe_globals_are_accepted():
    from autograd import serialization

    serialization.clear_safe_globals()
    serialization.add_safe_globals([np.dtype])
    assert serialization.get_safe_globals() == [np.dtype]
    with torch.serialization.safe_globals([int]):
        assert int in serialization.get_safe_globals()
    assert serialization.get_safe_globals() == [np.dtype]
    serialization.clear_safe_globals()


def test_saving_a_whole_module_refuses_and_names_state_dict():
    model = torch.nn.Linear(2, 2)
    buf = io.BytesIO()
    with pytest.raises(TypeError, match=r"model\.state_dict\(\)"):
        torch.save(model, buf)
    assert buf.getvalue() == b""
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    m2 = torch.nn.Linear(2, 2)
    m2.load_state_dict(torch.load(buf))
    np.testing.assert_array_equal(m2.weight.detach().numpy(), model.weight.detach().numpy())


# -- indexing with range and lists -----------------------------------------------------------------
def test_range_and_list_indices_get_and_set():
    n = 4
    logits = torch.randn(n, 3, requires_grad=True)
    target = torch.tensor([0, 2, 1, 1])
    picked = logits[range(n), target]
    np.testing.assert_array_equal(
        picked.detach().numpy(), logits.detach().numpy()[np.arange(n), target.numpy()]
    )
    picked.sum().backward()
    expected = np.zeros((n, 3), np.float32)
    expected[np.arange(n), target.numpy()] = 1
    np.testing.assert_array_equal(logits.grad.numpy(), expected)
    x = torch.zeros(n, 3)
    x[range(n), target] = 5.0
    np.testing.assert_array_equal(x.numpy(), 5 * expected)
    x[[0, 2]] = torch.ones(3)
    assert x[[0, 2]].sum().item() == 6.0
    assert x[range(0, 4, 2)].shape == (2, 3)
    assert x[[]].shape == (0, 3)
    with pytest.raises(IndexError, match="out of bounds"):
        x[range(5), 0]


def test_range_index_inside_a_graph_is_differentiable_in_setitem():
    v = torch.randn(2, requires_grad=True)
    x = torch.zeros(3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x[range(2), [1, 2]] = v * 2
    x.sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 2.0])
