"""Data-parallel training over several processes (torch DDP), launched by torchrun.

    torchrun --standalone --nproc_per_node 4 $(which tsrnn) train data.csv --model lstm -o m.tsrnn

Every process reads the same data and builds the same device-resident panel; each epoch's
permutation of the training windows is drawn from the same seeded generator in every process, and
process r trains on rows r, r + P, r + 2P, … of every global batch of `batch_size × P` windows
(`batch_size` is per process, as in torch). DistributedDataParallel averages the gradients, so P
processes with batch B take the same steps as one process with batch P·B. Validation runs whole in
every process (the weights are equal everywhere), so early stopping decides alike; only process 0
shows progress and writes files. CPU processes talk over gloo, GPU processes over NCCL, one GPU
each (LOCAL_RANK).
"""

from __future__ import annotations

import atexit
import os

import torch

_OWNED = False  # whether tsrnn opened the process group (and so closes it)


def launched() -> bool:
    """Whether this process is one of several started by torchrun (WORLD_SIZE > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device: torch.device) -> torch.device:
    """Join the process group torchrun prepared (once), and return the device of this process:
    cuda:LOCAL_RANK when `device` is a CUDA device, else `device`. Without torchrun, `device`."""
    global _OWNED
    if not launched():
        return device
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        _OWNED = True
        # a process that ends with the group open can abort in the backend's threads at exit
        atexit.register(teardown)
    return device


def rank_and_size() -> tuple[int, int]:
    """(rank, number of processes); (0, 1) outside a process group."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    """True in the process that reports and writes: rank 0 of the process group (torchrun's, or
    one the caller opened), else RANK 0 of a torchrun launch, else the only process."""
    rank, size = rank_and_size()
    if size > 1:
        return rank == 0
    return int(os.environ.get("RANK", "0")) == 0 if launched() else True


def mean_over_processes(value: torch.Tensor) -> torch.Tensor:
    """The mean of a tensor over all processes (itself outside a process group)."""
    rank, size = rank_and_size()
    if size == 1:
        return value
    import torch.distributed as dist

    out = value.detach().clone()
    dist.all_reduce(out)
    return out / size


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The model as DistributedDataParallel when several processes train it, else itself."""
    if rank_and_size()[1] == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None
    )


def shard(batches: list[torch.Tensor], batch_size: int) -> list[torch.Tensor]:
    """This process's part of each global batch (rows rank, rank + P, …); `batches` are the global
    batches of batch_size × P windows. A last global batch with fewer than P windows is dropped, so
    that every process takes the same number of steps."""
    rank, size = rank_and_size()
    if size == 1:
        return batches
    return [b[rank::size] for b in batches if len(b) >= size]


def teardown() -> None:
    """Close the process group if tsrnn opened it."""
    global _OWNED
    if _OWNED:
        import gc

        import torch.distributed as dist

        # a DistributedDataParallel left in a reference cycle holds the group; collected only at
        # interpreter exit, the group's threads would then be destroyed unjoined (SIGABRT)
        gc.collect()
        if dist.is_initialized():
            dist.destroy_process_group()
        _OWNED = False
