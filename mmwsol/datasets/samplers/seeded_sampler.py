"""A sampler whose indices carry the seed of each sample's augmentation."""

from typing import Iterator, Optional, Sized

from mmengine.dataset import DefaultSampler
from mmengine.logging import print_log

from mmwsol.registry import DATA_SAMPLERS

from .sample_rng import sample_seed


class SeededIndex(int):
    """A dataset index that carries the seed of its sample's randomness.

    It is an ``int`` (any dataset can index with it) with a ``seed``
    attribute, so the seed travels with the index to the data-loading worker
    that loads the sample. A dataset that knows it (one with
    ``accepts_seeded_index = True``, e.g. :class:`WSOLDataset`) runs its
    pipeline with the global RNGs seeded from it.

    Args:
        index (int): The dataset index.
        seed (int): The seed of the sample's randomness.
    """

    seed: int

    def __new__(cls, index: int, seed: int) -> 'SeededIndex':
        obj = super().__new__(cls, index)
        obj.seed = int(seed)
        return obj

    def __reduce__(self):
        # pickled to the worker processes: keep the seed
        return (SeededIndex, (int(self), self.seed))

    def __repr__(self) -> str:
        return f'SeededIndex({int(self)}, seed={self.seed})'


@DATA_SAMPLERS.register_module()
class SeededSampler(DefaultSampler):
    """MMEngine's :class:`DefaultSampler` whose indices carry a seed for the
    randomness of each sample.

    The order of the indices is the default sampler's (shuffled from
    ``seed + epoch``, padded and split over the ranks). Each index is a
    :class:`SeededIndex` whose seed is ``sample_seed(seed, epoch, index)``:
    the augmentation of a sample is then a function of the run's seed, the
    epoch and the sample's index only. It does not depend on the number of
    data-loading workers or processes, on which worker or rank loads the
    sample, or on how the workers were seeded, so training resumed from a
    checkpoint draws the same augmentations as an uninterrupted run
    (persistent workers included), and every epoch draws new ones.

    The epoch reaches the workers inside the indices: it is set on the
    sampler in the main process (by MMEngine's ``DistSamplerSeedHook``) and
    nothing has to be set on the dataset, which persistent workers would not
    see. The dataset must seed its pipeline from the index
    (``accepts_seeded_index = True``); with another dataset the sampler
    works like the default one and warns.

    Args:
        dataset (Sized): The dataset.
        shuffle (bool): Whether to shuffle the indices. Defaults to True.
        seed (int, optional): The run's seed, the same on every rank (the
            runner passes ``randomness.seed``). None draws one, synchronised
            over ranks. Defaults to None.
        round_up (bool): As in :class:`DefaultSampler`: pad the indices to a
            multiple of the world size (a padded index repeats a sample,
            with the same augmentation). Defaults to True.
    """

    def __init__(
        self,
        dataset: Sized,
        shuffle: bool = True,
        seed: Optional[int] = None,
        round_up: bool = True,
    ) -> None:
        super().__init__(
            dataset=dataset, shuffle=shuffle, seed=seed, round_up=round_up
        )
        if not getattr(dataset, 'accepts_seeded_index', False):
            print_log(
                f'SeededSampler: {type(dataset).__name__} does not seed its '
                'pipeline from the sample seeds (no accepts_seeded_index); '
                'its augmentation depends on the data-loading workers.',
                logger='current',
                level=30,
            )

    def __iter__(self) -> Iterator[SeededIndex]:
        """Iterate the indices of this rank, each with its sample seed."""
        for index in super().__iter__():
            yield SeededIndex(index, sample_seed(self.seed, self.epoch, index))
