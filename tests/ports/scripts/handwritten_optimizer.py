"""Habits of older and GPT-style training scripts: a hand-written Adam subclassing
torch.optim.Optimizer in the deprecated value-first spellings (``add_(alpha, t)``,
``addcmul_(value, t1, t2)``) and the current ones (``addcdiv_(..., value=)``), a
``@torch.jit.script`` helper, ``import torch.onnx`` at the top, the dtype table nanoGPT builds
(naming ``torch.bfloat16``), ``torch.set_float32_matmul_precision`` and a manual
``p.data.add_(-lr, p.grad.data)`` step."""

import math
import warnings
from contextlib import nullcontext

import autograd as torch
import autograd.nn as nn
import autograd.nn.functional as F
import autograd.onnx  # noqa: F401 - scripts import it at the top and export only on request

warnings.simplefilter("ignore", UserWarning)  # the deprecated overloads warn once, as in PyTorch


class LegacyAdam(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p.data)
                    state["exp_avg_sq"] = torch.zeros_like(p.data)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                state["step"] += 1
                exp_avg.mul_(beta1).add_(1 - beta1, grad)
                exp_avg_sq.mul_(beta2).addcmul_(1 - beta2, grad, grad)
                bias_correction1 = 1 - beta1 ** state["step"]
                bias_correction2 = 1 - beta2 ** state["step"]
                step_size = group["lr"] * math.sqrt(bias_correction2) / bias_correction1
                p.data.addcdiv_(exp_avg, exp_avg_sq.sqrt().add_(group["eps"]), value=-step_size)
        return loss


@torch.jit.script
def new_gelu(x):
    return (
        0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
    )


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 32)
        self.fc2 = nn.Linear(32, 1)

    def forward(self, x):
        return self.fc2(new_gelu(self.fc1(x)))


torch.manual_seed(0)
torch.set_float32_matmul_precision("high")
dtype = "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float32"
ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
device_type = "cpu"
ctx = nullcontext() if device_type == "cpu" else torch.amp.autocast(device_type, dtype=ptdtype)

x = torch.randn(128, 4)
y = (x * torch.tensor([1.0, -2.0, 0.5, 3.0])).sum(1, keepdim=True) + 0.3

model = MLP()
optimizer = LegacyAdam(model.parameters(), lr=1e-2)
losses = []
for it in range(60):

    def closure():
        optimizer.zero_grad()
        with ctx:
            loss = F.mse_loss(model(x), y)
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    losses.append(loss.item())
    if it % 20 == 0:
        print(f"iter {it}: loss {loss.item():.4f}")

# then plain SGD by hand, the way old word-language-model loops update
lr = 0.05
for it in range(20):
    model.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    for p in model.parameters():
        p.data.add_(-lr, p.grad.data)
    losses.append(loss.item())
print(f"final loss {losses[-1]:.4f}")
