from .sample_rng import sample_seed, seeded_global_rngs
from .seeded_sampler import SeededIndex, SeededSampler

__all__ = ['SeededIndex', 'SeededSampler', 'sample_seed', 'seeded_global_rngs']
