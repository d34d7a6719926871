"""`DefaultSampler` and `InfiniteSampler`, mirroring `mmengine.dataset.sampler`.

DefaultSampler: a permutation seeded by `seed + epoch` (`set_epoch` is called by
DistSamplerSeedHook), padded by repetition to a multiple of world_size when `round_up`, then dealt
round-robin: rank r takes indices[r::world_size]. InfiniteSampler: an endless stream of
permutations from one generator seeded once, dealt the same way; `set_epoch` is a no-op.
(MMCV 1.x used torch's DistributedSampler / mmdet's GroupSampler instead.)
"""
from __future__ import annotations

import itertools
import math
from typing import Iterator, Optional

import torch
from torch.utils.data import Sampler

from runtime.dist import get_dist_info, sync_random_seed
from runtime.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class DefaultSampler(Sampler):
    def __init__(self, dataset, shuffle: bool = True, seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        rank, world_size = get_dist_info()
        self.rank, self.world_size = rank, world_size
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.round_up = round_up
        if round_up:
            self.num_samples = math.ceil(len(dataset) / world_size)
            self.total_size = self.num_samples * world_size
        else:
            self.num_samples = math.ceil((len(dataset) - rank) / world_size)
            self.total_size = len(dataset)

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = torch.randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if self.round_up:
            indices = (indices * int(self.total_size / len(indices) + 1))[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.world_size])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


@DATA_SAMPLERS.register_module()
class InfiniteSampler(Sampler):
    def __init__(self, dataset, shuffle: bool = True, seed: Optional[int] = None) -> None:
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.size = len(dataset)
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.indices = self._indices_of_rank()

    def _infinite_indices(self) -> Iterator[int]:
        g = torch.Generator()
        g.manual_seed(self.seed)
        while True:
            if self.shuffle:
                yield from torch.randperm(self.size, generator=g).tolist()
            else:
                yield from range(self.size)

    def _indices_of_rank(self) -> Iterator[int]:
        # the iterator itself rather than a generator wrapping it: the same lazy stream with
        # one Python frame fewer per index
        return itertools.islice(self._infinite_indices(), self.rank, None, self.world_size)

    def __iter__(self) -> Iterator[int]:
        return self.indices   # every iteration continues the one shared stream

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """Kept for API compatibility; the stream does not depend on the epoch."""
