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
