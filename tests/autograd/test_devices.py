"""``autograd.device`` and the one CPU-only error (NOTE [ One device ] in devices.py)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as torch

CPU_ERROR = "ndgrad runs on the CPU"


def test_device_objects_print_and_compare_like_pytorch():
    d = torch.device("cpu")
    assert str(d) == "cpu" and repr(d) == "device(type='cpu')"
    assert d.type == "cpu" and d.index is None
    d0 = torch.device("cpu", 0)
    assert str(d0) == "cpu:0" and repr(d0) == "device(type='cpu', index=0)" and d0.index == 0
    assert torch.device("cpu:0") == d0 and d0 != d
    assert torch.device(type="cpu") == d and torch.device(d) == d
    # as in PyTorch, a device never equals a string: scripts compare ``d.type`` or ``str(d)``
    assert d != "cpu" and not (d == "cpu") and d != "cuda" and d0 != "cpu:0"
    assert hash(torch.device("cpu")) == hash(d) and len({d, torch.device("cpu"), d0}) == 2
    cuda = torch.device("cuda:1")  # building one works, as in PyTorch; using it raises
    assert cuda.type == "cuda" and cuda.index == 1 and str(cuda) == "cuda:1"
    assert torch.device(0) == torch.device("cuda", 0)
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        torch.device("gpu")
    with pytest.raises(RuntimeError, match="must not include an index"):
        torch.device("cpu:0", 0)


def test_the_cuda_or_cpu_boilerplate_picks_the_cpu():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x = torch.ones(2, 3).to(device)
    assert x.device == device and x.device.type == "cpu"
    assert isinstance(x.device, torch.device) and x.is_cpu and not x.is_cuda
    assert x.get_device() == -1
    with device:
        assert torch.zeros(1).device == device


def test_tensor_to_accepts_device_dtype_tensor_and_flags():
    x = torch.ones(2)
    assert x.to("cpu") is x and x.cpu() is x and x.to(torch.device("cpu")) is x
    assert x.to(device="cpu", non_blocking=True) is x
    y = x.to("cpu", torch.float64)
    assert y.dtype == torch.float64
    assert x.to(torch.zeros(1, dtype=torch.int64)).dtype == torch.int64
    c = x.to("cpu", copy=True)
    assert c is not x and not np.shares_memory(c.numpy(), x.numpy())
    assert x.to(torch.float64, copy=True).dtype == torch.float64
    w = torch.ones(2, requires_grad=True)
    w.to(torch.float64).sum().backward()
    assert w.grad.dtype == torch.float32


@pytest.mark.parametrize(
    "call",
    [
        lambda: torch.ones(2).to("cuda"),
        lambda: torch.ones(2).to(torch.device("cuda", 0)),
        lambda: torch.ones(2).to("mps", torch.float64),
        lambda: torch.ones(2).to(device="cuda"),
        lambda: torch.ones(2).cuda(),
        lambda: torch.ones(2).cuda(1),
        lambda: torch.tensor([1.0], device="cuda"),
        lambda: torch.zeros(2, device="cuda"),
        lambda: torch.randn(2, device=torch.device("cuda")),
        lambda: torch.arange(3, device="mps"),
        lambda: torch.zeros_like(torch.ones(2), device="cuda"),
        lambda: torch.ones(2).new_zeros(3, device="cuda"),
        lambda: torch.Tensor(2, 3, device="cuda"),
        lambda: torch.set_default_device("cuda"),
        lambda: torch.nn.Linear(2, 2).to("cuda"),
        lambda: torch.nn.Linear(2, 2).cuda(),
        lambda: torch.Generator(device="cuda"),
        lambda: torch.cuda.current_device(),
    ],
)
def test_asking_for_another_device_raises_the_one_error(call):
    with pytest.raises(RuntimeError, match=CPU_ERROR):
        call()


def test_every_factory_accepts_the_cpu():
    cpu = torch.device("cpu")
    for make in (
        lambda d: torch.tensor([1.0], device=d),
        lambda d: torch.as_tensor([1.0], device=d),
        lambda d: torch.zeros(2, device=d),
        lambda d: torch.ones(2, device=d),
        lambda d: torch.empty(2, device=d),
        lambda d: torch.full((2,), 1.0, device=d),
        lambda d: torch.eye(2, device=d),
        lambda d: torch.arange(2, device=d),
        lambda d: torch.linspace(0, 1, 3, device=d),
        lambda d: torch.logspace(0, 1, 3, device=d),
        lambda d: torch.rand(2, device=d),
        lambda d: torch.randn(2, device=d),
        lambda d: torch.randint(0, 3, (2,), device=d),
        lambda d: torch.randperm(3, device=d),
        lambda d: torch.normal(0.0, 1.0, (2,), device=d),
        lambda d: torch.zeros_like(torch.ones(2), device=d),
        lambda d: torch.full_like(torch.ones(2), 3.0, device=d),
        lambda d: torch.ones(2).new_ones(2, device=d),
    ):
        for d in ("cpu", cpu, "cpu:0", None):
            assert make(d).device == cpu


def test_default_device():
    torch.set_default_device("cpu")
    torch.set_default_device(None)
    assert torch.get_default_device() == torch.device("cpu")


def test_module_to_device_and_dtype():
    m = torch.nn.Linear(2, 3)
    w = m.weight
    assert m.to(torch.device("cpu")) is m and m.cpu() is m
    m.to("cpu", torch.float64)
    assert m.weight is w and w.dtype == torch.float64
    m.to(device="cpu", dtype=torch.float32, non_blocking=True)
    assert w.dtype == torch.float32


# -- torch.cuda on a machine without CUDA (PyTorch's CPU build answers the same) ---------------


def test_cuda_queries_and_no_ops_answer_as_pytorch_without_cuda():
    c = torch.cuda
    assert c.is_available() is False and c.device_count() == 0 and not c.is_initialized()
    assert not c.is_bf16_supported() and c.get_arch_list() == [] and c.get_rng_state_all() == []
    for f in (c.memory_allocated, c.max_memory_allocated, c.memory_reserved, c.max_memory_reserved):
        assert f() == 0 and f(0) == 0
    assert dict(c.memory_stats()) == {}
    # seeding and cache calls are silent no-ops
    for call in (
        lambda: c.manual_seed(1),
        lambda: c.manual_seed_all(1),
        c.seed,
        c.seed_all,
        c.empty_cache,
        lambda: c.set_rng_state(torch.zeros(5, dtype=torch.uint8)),
        lambda: c.set_rng_state_all([]),
    ):
        assert call() is None
    assert issubclass(c.OutOfMemoryError, RuntimeError)
    with pytest.raises(c.OutOfMemoryError):
        raise c.OutOfMemoryError("out of memory")


@pytest.mark.parametrize(
    "name",
    """current_device synchronize get_device_name get_device_capability get_device_properties
    initial_seed get_rng_state mem_get_info ipc_collect current_stream memory_summary
    reset_peak_memory_stats reset_max_memory_allocated init""".split(),
)
def test_cuda_calls_that_need_a_device_raise_both_error_types(name):
    """PyTorch's CPU build raises AssertionError ("Torch not compiled with CUDA enabled"), a CUDA
    build without a GPU RuntimeError: ndgrad's error is both, with its CPU-only message."""
    f = getattr(torch.cuda, name)
    for exc in (AssertionError, RuntimeError):
        with pytest.raises(exc, match=CPU_ERROR):
            f()
    with pytest.raises(AssertionError):
        torch.cuda.set_device(0)
    with pytest.raises(RuntimeError):
        torch.cuda.set_per_process_memory_fraction(0.5)
    d = torch.cuda.device(0)  # builds, as in PyTorch; entering it raises
    with pytest.raises(RuntimeError, match=CPU_ERROR), d:
        pass
    for cls in (torch.cuda.Stream, torch.cuda.Event):
        with pytest.raises(RuntimeError, match=CPU_ERROR):
            cls()


def test_cuda_all_lists_only_what_exists():
    import autograd.cuda as c

    assert c.__all__ == sorted(c.__all__)
    assert all(hasattr(c, n) for n in c.__all__)
    for n in ("is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
              "empty_cache", "current_device", "get_device_name", "memory_allocated",
              "max_memory_allocated", "reset_peak_memory_stats", "amp"):  # fmt: skip
        assert n in c.__all__


# -- mixed precision: autocast and GradScaler (NOTE [ Mixed precision ] in autograd/amp.py) -----


def test_autocast_is_a_no_op_where_pytorch_disables_it():
    x, w = torch.ones(2, 2), torch.ones(2, 2, requires_grad=True)
    for make in (
        lambda: torch.autocast("cpu", enabled=False),
        lambda: torch.autocast(device_type="cpu", dtype=torch.float16, enabled=False),
        lambda: torch.amp.autocast("cuda", enabled=False),
    ):
        with make() as ctx:
            assert (x @ w).dtype == torch.float32 and not torch.is_autocast_enabled()
        assert isinstance(ctx, torch.amp.autocast)
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported"):
        with torch.autocast("cuda"):
            assert (x @ w).dtype == torch.float32
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not support"):
        with torch.autocast("cpu", dtype=torch.float64):
            assert (x @ w).dtype == torch.float32
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast\(args...\)` is deprecated"):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            ctx = torch.cuda.amp.autocast()
    with ctx:
        assert (x @ w).dtype == torch.float32
    assert torch.autocast("cpu", enabled=False)(lambda a: a + 1)(1) == 2  # a decorator too
    assert torch.amp.is_autocast_available("cpu") and torch.amp.is_autocast_available("cuda")
    with pytest.raises(TypeError):
        torch.autocast()
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        torch.autocast("foo")


def test_autocast_on_the_cpu_raises_naming_why():
    with pytest.raises(RuntimeError, match="NumPy has no bfloat16"):
        torch.autocast("cpu")  # bfloat16 by default
    with pytest.raises(RuntimeError, match="no autocast step"):
        torch.autocast(device_type="cpu", dtype=torch.float16)
    with pytest.raises(RuntimeError, match="NumPy has no bfloat16"):
        torch.autocast(device_type="cpu", dtype=torch.bfloat16)


def test_bfloat16_is_a_name_that_refuses_to_be_used():
    # nanoGPT's train.py builds {'float32': torch.float32, 'bfloat16': torch.bfloat16,
    # 'float16': torch.float16}[dtype] before choosing float16 on a machine without bf16
    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    assert ptdtype["float16"] == torch.float16
    assert torch.bfloat16 != torch.float16 and repr(torch.bfloat16) == "autograd.bfloat16"
    assert torch.bfloat16.is_floating_point and torch.bfloat16.itemsize == 2
    assert torch.cuda.is_bf16_supported() is False
    for use in (
        lambda: torch.zeros(2, dtype=torch.bfloat16),
        lambda: torch.tensor([1.0], dtype=torch.bfloat16),
        lambda: torch.ones(2).to(torch.bfloat16),
        lambda: torch.set_default_dtype(torch.bfloat16),
    ):
        with pytest.raises(TypeError, match="NumPy has no bfloat16"):
            use()


def _model_and_optimizer():
    import nn
    import optim

    torch.manual_seed(0)
    m = nn.Linear(2, 1)
    return m, optim.SGD(m.parameters(), lr=0.1)


def test_disabled_grad_scaler_is_transparent():
    for make in (
        lambda: torch.amp.GradScaler("cuda", enabled=False),
        lambda: torch.amp.GradScaler(enabled=False),
        lambda: torch.amp.GradScaler("cpu", enabled=False),
    ):
        s = make()
        m, opt = _model_and_optimizer()
        before = m.weight.detach().clone()
        loss = m(torch.ones(3, 2)).sum()
        assert s.scale(loss) is loss and s.scale([loss]) == [loss]
        s.scale(loss).backward()
        g = m.weight.grad.clone()
        assert s.unscale_(opt) is None and torch.equal(m.weight.grad, g)
        assert s.step(opt) is None and s.update() is None and s.update(2.0) is None
        assert torch.allclose(m.weight.detach(), before - 0.1 * g)  # the step was taken
        assert s.get_scale() == 1.0 and not s.is_enabled() and s.state_dict() == {}
        s.load_state_dict({"scale": 5.0})
    with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available"):
        assert not torch.amp.GradScaler().is_enabled()
    with pytest.warns(FutureWarning, match=r"torch.cuda.amp.GradScaler\(args...\)` is deprec"):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            s = torch.cuda.amp.GradScaler()
    assert not s.is_enabled()


def test_cpu_grad_scaler_scales_unscales_skips_and_adapts():
    """PyTorch's schedule: the loss times the scale; gradients unscaled before the step; a
    step with an inf gradient is skipped and the scale halved; the scale doubles after
    growth_interval clean steps. (Traced against PyTorch 2.13's GradScaler("cpu").)"""
    m, opt = _model_and_optimizer()
    s = torch.amp.GradScaler("cpu", init_scale=16.0, growth_interval=2)
    assert s.is_enabled() and s.get_scale() == 16.0
    scales = []
    for i in range(4):
        opt.zero_grad()
        loss = m(torch.ones(3, 2)).sum()
        scaled = s.scale(loss)
        assert scaled.grad_fn.name() == "MulBackward0"
        assert scaled.item() == pytest.approx(loss.item() * s.get_scale())
        scaled.backward()
        if i == 2:
            m.weight.grad.data[0, 0] = float("inf")
        before = m.weight.detach().clone()
        s.unscale_(opt)
        with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
            s.unscale_(opt)
        if i != 2:
            np.testing.assert_allclose(m.weight.grad.numpy(), [[3.0, 3.0]])
        s.step(opt)
        with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
            s.step(opt)
        assert torch.equal(m.weight.detach(), before) == (i == 2)  # skipped on inf
        s.update()
        scales.append(s.get_scale())
    assert scales == [16.0, 32.0, 16.0, 16.0]
    sd = s.state_dict()
    assert sd == {
        "scale": 16.0,
        "growth_factor": 2.0,
        "backoff_factor": 0.5,
        "growth_interval": 2,
        "_growth_tracker": 1,
    }
    t = torch.amp.GradScaler("cpu")
    t.load_state_dict(sd)
    assert t.state_dict() == sd
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        t.load_state_dict({})
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        s.step(opt, closure=lambda: 0)
    with pytest.raises(AssertionError, match="Attempted update but _scale is None"):
        torch.amp.GradScaler("cpu").update()
    with pytest.raises(ValueError, match="outputs must be a Tensor"):
        torch.amp.GradScaler("cpu").scale(5.0)
