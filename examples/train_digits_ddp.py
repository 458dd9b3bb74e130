"""The main job's CNN, trained on several processes: DistributedDataParallel +
DistributedSampler over MPI.

Each of the N ranks trains on its shard of the digits training set with batch
``batch_size / N``; DDP averages the gradients during ``backward()``, so the N ranks together
take the same steps as one process with the whole batch (the sampler's permutation is the same
on every rank, and rank r takes every N-th index of it: the N shards of global batch k are
exactly one process's batch k). Rank 0 prints progress and saves the model; after a barrier
every rank loads it back and checks that it predicts what it trained.

Usage::

    pip install -e '.[distributed]'
    mpirun -np 2 python -m mpi4py examples/train_digits_ddp.py [--epochs 20] [--out out/]
    python examples/train_digits_ddp.py          # one process: the same run, world of 1

(Add ``--oversubscribe`` for more ranks than cores and ``--allow-run-as-root`` as root.)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

try:
    import autograd
except ImportError:  # run from a clone without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import autograd

# train_digits.py lies beside this file; the script's folder is on sys.path (also under
# `python -m mpi4py`)
from train_digits import evaluate, make_cnn

import autograd.distributed as dist
import nn
import optim
from data import DataLoader, DistributedSampler, Subset
from data.datasets import Digits
from nn.parallel import DistributedDataParallel as DDP


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description="Train the digits CNN with DDP over MPI.")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=32, help="global batch (all ranks)")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true", help="3 epochs on half the training set")
    args = p.parse_args(argv)

    dist.init_process_group("mpi")  # 1. join the group (ranks come from mpirun)
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must divide by {world} ranks")
    train_set, test_set = Digits(train=True), Digits(train=False)
    epochs = args.epochs
    if args.quick:
        epochs = 3
        train_set = Subset(train_set, list(range(0, len(train_set), 2)))

    autograd.manual_seed(args.seed)
    model = DDP(make_cnn())  # 2. wrap the model (rank 0's weights are copied everywhere)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    sampler = DistributedSampler(train_set, seed=args.seed)  # 3. this rank's shard
    loader = DataLoader(train_set, batch_size=args.batch_size // world, sampler=sampler)
    test_loader = DataLoader(test_set, batch_size=256)
    if rank == 0:
        print(f"{world} rank(s), batch {args.batch_size // world} per rank", flush=True)
    t0 = time.perf_counter()
    hist = {"test_acc": [], "test_loss": []}
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)  # 4. a new permutation each epoch, the same on every rank
        for x, y in loader:
            opt.zero_grad()
            loss_fn(model(x), y).backward()  # gradients averaged over the ranks here
            opt.step()
        test_loss, test_acc = evaluate(model, test_loader)
        hist["test_acc"].append(test_acc)
        hist["test_loss"].append(test_loss)
        if rank == 0:
            print(
                f"epoch {epoch:2d}/{epochs}  test loss {test_loss:.4f}  test acc {test_acc:6.2%}"
                f"  ({time.perf_counter() - t0:.1f} s)",
                flush=True,
            )

    # save on rank 0 only, then load everywhere
    path = os.path.join(args.out, "digits_cnn_ddp.safetensors")
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        autograd.save(model.module.state_dict(), path)
    dist.barrier()
    fresh = make_cnn()
    fresh.load_state_dict(autograd.load(path))
    same = evaluate(fresh, test_loader) == (hist["test_loss"][-1], hist["test_acc"][-1])
    flags = [None] * world
    dist.all_gather_object(flags, bool(same))
    if rank == 0:
        print(f"saved to {path}; reloaded on every rank, same predictions: {all(flags)}")
        print(f"test accuracy after {epochs} epochs: {hist['test_acc'][-1]:.2%}")
    dist.destroy_process_group()
    return {"history": hist, "reloaded_same": all(flags)}


if __name__ == "__main__":
    main()
