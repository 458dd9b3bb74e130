"""Run under mpirun: rank 1 raises in the middle of training; the job must end."""

import sys

import autograd as ag
import autograd.distributed as dist
import nn
import optim
from nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank = dist.get_rank()
model = DDP(nn.Linear(4, 2))
opt = optim.SGD(model.parameters(), lr=0.1)
for step in range(1000):
    if rank == 1 and step == 3:
        raise ValueError(f"failing on purpose at step {step} ({sys.argv[1:]})")
    opt.zero_grad()
    model(ag.randn(8, 4)).pow(2).mean().backward()
    opt.step()
