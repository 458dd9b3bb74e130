"""Run without mpirun: a world of one, where everything must still work."""

import numpy as np

import autograd as ag
import autograd.distributed as dist
import data
import nn
import optim
from nn.parallel import DistributedDataParallel as DDP

assert dist.is_available() and not dist.is_initialized()
dist.init_process_group("mpi")
assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
t = ag.tensor([1.0, 2.0])
dist.all_reduce(t, op=dist.ReduceOp.AVG)
dist.broadcast(t, 0)
assert t.tolist() == [1.0, 2.0]
ag.manual_seed(0)
ref = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)).double()
model = DDP(
    nn.SyncBatchNorm.convert_sync_batchnorm(
        nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)).double()
    )
)
model.module.load_state_dict(ref.state_dict())
opts = [optim.SGD(m.parameters(), lr=0.1) for m in (ref, model)]
x = ag.tensor(np.random.default_rng(0).standard_normal((6, 3)))
for m, o in zip((ref, model), opts):
    for _ in range(2):
        o.zero_grad()
        m(x).pow(2).mean().backward()
        o.step()
for a, b in zip(ref.parameters(), model.parameters()):
    assert np.array_equal(a.detach().numpy(), b.detach().numpy())
assert list(data.DistributedSampler(range(5), shuffle=False)) == [0, 1, 2, 3, 4]
dist.destroy_process_group()
assert not dist.is_initialized()
print("world of one OK")
