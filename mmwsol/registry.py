"""Registry nodes of mmwsol.

Every node is a child of the corresponding mmpretrain node, with the scope
``'mmwsol'``. A config with ``default_scope = 'mmwsol'`` therefore finds the
components of mmwsol first and falls back to mmpretrain's (and MMEngine's).
MMEngine imports ``<scope>.registry`` when it switches to a scope, which is why
this module must keep this exact name.
"""

from mmengine.registry import Registry
from mmpretrain.registry import BATCH_AUGMENTS as MMPRE_BATCH_AUGMENTS
from mmpretrain.registry import DATA_SAMPLERS as MMPRE_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as MMPRE_DATASETS
from mmpretrain.registry import EVALUATORS as MMPRE_EVALUATORS
from mmpretrain.registry import HOOKS as MMPRE_HOOKS
from mmpretrain.registry import LOG_PROCESSORS as MMPRE_LOG_PROCESSORS
from mmpretrain.registry import LOOPS as MMPRE_LOOPS
from mmpretrain.registry import METRICS as MMPRE_METRICS
from mmpretrain.registry import MODEL_WRAPPERS as MMPRE_MODEL_WRAPPERS
from mmpretrain.registry import MODELS as MMPRE_MODELS
from mmpretrain.registry import (
    OPTIM_WRAPPER_CONSTRUCTORS as MMPRE_OPTIM_WRAPPER_CONSTRUCTORS,
)
from mmpretrain.registry import OPTIM_WRAPPERS as MMPRE_OPTIM_WRAPPERS
from mmpretrain.registry import OPTIMIZERS as MMPRE_OPTIMIZERS
from mmpretrain.registry import PARAM_SCHEDULERS as MMPRE_PARAM_SCHEDULERS
from mmpretrain.registry import (
    RUNNER_CONSTRUCTORS as MMPRE_RUNNER_CONSTRUCTORS,
)
from mmpretrain.registry import RUNNERS as MMPRE_RUNNERS
from mmpretrain.registry import TASK_UTILS as MMPRE_TASK_UTILS
from mmpretrain.registry import TRANSFORMS as MMPRE_TRANSFORMS
from mmpretrain.registry import VISBACKENDS as MMPRE_VISBACKENDS
from mmpretrain.registry import VISUALIZERS as MMPRE_VISUALIZERS
from mmpretrain.registry import (
    WEIGHT_INITIALIZERS as MMPRE_WEIGHT_INITIALIZERS,
)

__all__ = [
    'RUNNERS',
    'RUNNER_CONSTRUCTORS',
    'LOOPS',
    'HOOKS',
    'LOG_PROCESSORS',
    'OPTIMIZERS',
    'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS',
    'DATASETS',
    'DATA_SAMPLERS',
    'TRANSFORMS',
    'MODELS',
    'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS',
    'BATCH_AUGMENTS',
    'TASK_UTILS',
    'METRICS',
    'EVALUATORS',
    'VISUALIZERS',
    'VISBACKENDS',
]


def _child(name: str, parent: Registry, location: str) -> Registry:
    """Make a child registry of an mmpretrain node in scope ``mmwsol``."""
    return Registry(name, parent=parent, scope='mmwsol', locations=[location])


RUNNERS = _child('runner', MMPRE_RUNNERS, 'mmwsol.engine')
RUNNER_CONSTRUCTORS = _child(
    'runner constructor', MMPRE_RUNNER_CONSTRUCTORS, 'mmwsol.engine'
)
LOOPS = _child('loop', MMPRE_LOOPS, 'mmwsol.engine')
HOOKS = _child('hook', MMPRE_HOOKS, 'mmwsol.engine')
LOG_PROCESSORS = _child('log processor', MMPRE_LOG_PROCESSORS, 'mmwsol.engine')
OPTIMIZERS = _child('optimizer', MMPRE_OPTIMIZERS, 'mmwsol.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMPRE_OPTIM_WRAPPERS, 'mmwsol.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor',
    MMPRE_OPTIM_WRAPPER_CONSTRUCTORS,
    'mmwsol.engine',
)
PARAM_SCHEDULERS = _child(
    'parameter scheduler', MMPRE_PARAM_SCHEDULERS, 'mmwsol.engine'
)
DATASETS = _child('dataset', MMPRE_DATASETS, 'mmwsol.datasets')
DATA_SAMPLERS = _child('data sampler', MMPRE_DATA_SAMPLERS, 'mmwsol.datasets')
TRANSFORMS = _child('transform', MMPRE_TRANSFORMS, 'mmwsol.datasets')
MODELS = _child('model', MMPRE_MODELS, 'mmwsol.models')
MODEL_WRAPPERS = _child('model_wrapper', MMPRE_MODEL_WRAPPERS, 'mmwsol.models')
WEIGHT_INITIALIZERS = _child(
    'weight initializer', MMPRE_WEIGHT_INITIALIZERS, 'mmwsol.models'
)
BATCH_AUGMENTS = _child('batch augment', MMPRE_BATCH_AUGMENTS, 'mmwsol.models')
TASK_UTILS = _child('task util', MMPRE_TASK_UTILS, 'mmwsol.models')
METRICS = _child('metric', MMPRE_METRICS, 'mmwsol.evaluation')
EVALUATORS = _child('evaluator', MMPRE_EVALUATORS, 'mmwsol.evaluation')
VISUALIZERS = _child('visualizer', MMPRE_VISUALIZERS, 'mmwsol.visualization')
VISBACKENDS = _child('vis_backend', MMPRE_VISBACKENDS, 'mmwsol.visualization')
