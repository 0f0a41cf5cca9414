"""Per-sample random streams: a seed from (seed, epoch, index) and a
context that runs code on the global RNGs seeded with it."""

import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch

#: Seeds handed to the RNGs are drawn below this bound (32 bits).
_SEED_BOUND = 2**32


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """Derive the seed of one sample's randomness in one epoch.

    The seed is a hash (numpy's ``SeedSequence``) of the three numbers, so
    nearby inputs give unrelated seeds, and it depends on nothing else: not
    on the data-loading worker, the process rank or the order of loading.

    Args:
        seed (int): The base seed of the run (negative values are taken
            modulo 2**64).
        epoch (int): The epoch (>= 0).
        index (int): The index of the sample in the dataset (>= 0).

    Returns:
        int: A seed in ``[0, 2**64)``.
    """
    if epoch < 0 or index < 0:
        raise ValueError(
            f'epoch and index must be >= 0, got epoch={epoch}, index={index}'
        )
    entropy = [int(seed) % 2**64, int(epoch), int(index)]
    words = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32)
    return int(words[0]) | (int(words[1]) << 32)


def _rng_seeds(seed: int) -> tuple:
    """Three unrelated 32-bit seeds: Python ``random``, numpy, torch."""
    words = np.random.SeedSequence(int(seed) % 2**64).generate_state(
        3, dtype=np.uint32
    )
    return tuple(int(word) % _SEED_BOUND for word in words)


@contextmanager
def seeded_global_rngs(seed: int) -> Iterator[None]:
    """Run a block with the global RNGs seeded from ``seed``, then put
    their previous states back.

    Inside the block, Python's ``random``, numpy's global RNG and torch's
    default CPU generator start from seeds derived from ``seed`` (a
    different one each), which is what data transforms draw from (MMCV and
    mmpretrain transforms use numpy's and Python's global RNGs, some use
    torch's). On exit the three states are restored, so the code around the
    block sees its own random streams unchanged (e.g. the model's dropout
    in the main process when ``num_workers=0``). CUDA generators are not
    touched.

    Args:
        seed (int): The seed, e.g. from :func:`sample_seed`.
    """
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    torch_state = torch.get_rng_state()
    python_seed, numpy_seed, torch_seed = _rng_seeds(seed)
    random.seed(python_seed)
    np.random.seed(numpy_seed)
    torch.default_generator.manual_seed(torch_seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        torch.set_rng_state(torch_state)
