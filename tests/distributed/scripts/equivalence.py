"""Run under mpirun: N ranks x batch B must follow 1 process x batch N*B, step after step."""

import numpy as np

import autograd as ag
import autograd.distributed as dist
import data
import nn
import nn.functional as F
import optim
from nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
B, STEPS, TOL = 4, 3, 1e-12


def make_model():
    # no conv bias before BatchNorm: its exact gradient is zero, so what backward returns is
    # round-off, and Adam's first step (about lr * g / (|g| + eps)) turns round-off of 1e-17
    # into updates of 1e-11 that differ between any two summation orders
    ag.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, bias=False),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Dropout(0.0),
        nn.Flatten(),
        nn.Linear(4 * 5 * 5, 3),
    ).double()


def max_diff(a, b):
    return max(
        float(np.abs(x.detach().numpy() - y.detach().numpy()).max())
        for x, y in zip(
            list(a.parameters()) + list(a.buffers()), list(b.parameters()) + list(b.buffers())
        )
    )


def same_everywhere(model):
    """The largest difference between this rank's parameters and rank 0's."""
    worst = 0.0
    for p in model.parameters():
        mine = p.detach().clone()
        dist.broadcast(mine, 0)
        worst = max(worst, float(np.abs(mine.numpy() - p.detach().numpy()).max()))
    return worst


n = world * B * STEPS - 1  # does not divide evenly: the sampler pads by wrapping around
rng = np.random.default_rng(1)
X = rng.standard_normal((n, 2, 5, 5))
Y = rng.integers(0, 3, n)
shards = [list(data.DistributedSampler(range(n), world, r, seed=3)) for r in range(world)]
assert sorted(set(sum(shards, []))) == list(range(n))
assert shards[rank] == list(data.DistributedSampler(range(n), seed=3))

for name, make_opt in (
    ("sgd", lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9)),
    ("adam", lambda ps: optim.Adam(ps, lr=0.01)),
):
    ref = make_model()
    local = nn.SyncBatchNorm.convert_sync_batchnorm(make_model())
    if rank:  # DDP must copy rank 0's parameters everywhere
        with ag.no_grad():
            for p in local.parameters():
                p.add_(1.0)
    model = DDP(local)
    opt_ref, opt = make_opt(ref.parameters()), make_opt(model.parameters())
    for k in range(STEPS):
        model._overlap = bool(k % 2)  # buckets started when full, or all at the end
        mine = shards[rank][k * B : (k + 1) * B]
        every = sum((s[k * B : (k + 1) * B] for s in shards), [])
        opt.zero_grad()
        F.cross_entropy(model(ag.tensor(X[mine])), ag.tensor(Y[mine])).backward()
        opt.step()
        opt_ref.zero_grad()
        F.cross_entropy(ref(ag.tensor(X[every])), ag.tensor(Y[every])).backward()
        opt_ref.step()
        d = max_diff(model.module, ref)
        assert d < TOL, f"{name} step {k} rank {rank}: differs from one process by {d}"
        assert same_everywhere(model) == 0.0
    assert all(k.startswith("module.") for k in model.state_dict())
    print(f"rank {rank}: {name} OK", flush=True)

# gradient accumulation: two micro-batches, the first under no_sync, equal one big batch
ag.manual_seed(0)
ref = nn.Linear(3, 2).double()
model = DDP(nn.Linear(3, 2).double())
model.module.load_state_dict(ref.state_dict())
xs = [ag.tensor(rng.standard_normal((world, 2, 3))) for _ in range(2)]
xs = [ag.tensor(np.ascontiguousarray(np.broadcast_to(x.numpy(), x.shape))) for x in xs]
dist.broadcast(xs[0], 0)
dist.broadcast(xs[1], 0)
with model.no_sync():
    model(xs[0][rank]).pow(2).sum().backward()
grad_local = model.module.weight.grad.clone()
model(xs[1][rank]).pow(2).sum().backward()
ref(xs[0].reshape(-1, 3)).pow(2).sum().backward()
ref(xs[1].reshape(-1, 3)).pow(2).sum().backward()
expect = ref.weight.grad.numpy() / world
assert np.abs(model.module.weight.grad.numpy() - expect).max() < TOL
assert not np.allclose(grad_local.numpy(), expect)
print(f"rank {rank}: no_sync OK", flush=True)


# a branch only rank 0 uses, a weight used twice, a parameter nobody uses
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = nn.Linear(3, 3)
        self.only0 = nn.Linear(3, 3)
        self.never = nn.Linear(3, 3)

    def forward(self, x, use):
        h = self.shared(self.shared(x))
        return self.only0(h) if use else h


ag.manual_seed(0)
model = DDP(Branchy().double(), find_unused_parameters=True, bucket_cap_mb=1e-4)
model._overlap = True
x = ag.tensor(np.full((2, 3), rank + 1.0))
model(x, rank == 0).sum().backward()
g = model.module.shared.weight.grad.numpy().copy()
every = [None] * world
dist.all_gather_object(every, g.tolist())
assert np.abs(np.mean(every, axis=0) - g).max() == 0.0  # averaged: the same everywhere
g0 = model.module.only0.weight.grad
assert g0 is not None
if rank == 0:
    local0 = g0.numpy() * world  # only rank 0 contributed
assert model.module.never.weight.grad is None  # used by no rank: left untouched
print(f"rank {rank}: unused OK", flush=True)

# without find_unused_parameters, an unused parameter is an error after the collectives
model = DDP(Branchy().double())
try:
    model(x, True).sum().backward()
except RuntimeError as e:
    assert "never.weight" in str(e) and "find_unused_parameters" in str(e), e
else:
    raise AssertionError("no error for an unused parameter")
dist.barrier()
print(f"rank {rank}: ALL OK", flush=True)
dist.destroy_process_group()
