"""Run under mpirun: the ranks build different models; DDP must say which parameter differs."""

import autograd.distributed as dist
import nn
from nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank = dist.get_rank()
model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 5 if rank == 0 else 6))
try:
    DDP(model)
except RuntimeError as e:
    print(f"rank {rank}: {e}", flush=True)
else:
    raise AssertionError("different models were not detected")
