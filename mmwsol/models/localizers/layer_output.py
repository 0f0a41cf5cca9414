"""Which module a gradient localizer's ``layer`` names, and its output as a
spatial map.

The gradient localizers accept any module of any mmpretrain backbone as
their ``layer``. The rules, applied by :class:`LayerGradCapture`:

- **Name.** ``layer`` is a dotted name from ``model.named_modules()``. A
  wrong name raises a ``ValueError`` listing the closest real names
  (``difflib``) and the children of the deepest existing parent (the
  stages of the backbone for ``'backbone.<typo>'``).
- **Containers.** A ``ModuleList`` (never called: its owner iterates over
  it, e.g. VAN's ``blocks2``) or a ``Sequential`` with the default forward
  stands for its last module (recursively): the output of a stage is the
  output of its last block.
- **Tuples.** A module returning a tuple / list gives its last tensor item
  (the deepest stage of a backbone); a ``(tensor, (h, w))`` pair (Swin's
  stages, patch embeddings) also gives the grid of the tokens.
- **Tokens.** A 3-D output ``(N, L, C)`` is a token sequence: its leading
  extra tokens are dropped and the patch tokens reshaped to ``(N, C, h,
  w)`` (:func:`~mmwsol.models.utils.tokens_to_map`); the gradient is mapped
  the same way (a reshape: the gradient w.r.t. the map). See
  :func:`token_grid` for how ``E`` and ``(h, w)`` are found.
"""

import difflib
from typing import Any, Callable, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmwsol.models.utils import infer_grid, token_layout, tokens_to_map

HW = Tuple[int, int]


def layer_suggestions(model: nn.Module, layer: str) -> str:
    """Real module names close to a wrong ``layer``, for an error message.

    Args:
        model (nn.Module): The model.
        layer (str): The name that does not exist.

    Returns:
        str: ``"closest names: [...]; modules in 'parent': [...]"``.
    """
    names = [n for n, _ in model.named_modules() if n]
    close = difflib.get_close_matches(layer, names, n=6, cutoff=0.6)
    parts = layer.split('.')
    parent = ''
    known = set(names)
    for end in range(len(parts) - 1, 0, -1):
        if '.'.join(parts[:end]) in known:
            parent = '.'.join(parts[:end])
            break
    owner = model.get_submodule(parent) if parent else model
    children = [
        f'{parent}.{n}' if parent else n for n, _ in owner.named_children()
    ]
    more = f' (+{len(children) - 16} more)' if len(children) > 16 else ''
    where = repr(parent) if parent else 'the model'
    return f'closest names: {close}; modules in {where}: {children[:16]}{more}'


def _is_container(module: nn.Module) -> bool:
    """A ``ModuleList``, or a ``Sequential`` whose forward is the default
    (its output is its last module's output)."""
    if isinstance(module, nn.ModuleList):
        return True
    return (
        isinstance(module, nn.Sequential)
        and type(module).forward is nn.Sequential.forward
    )


def resolve_layer(model: nn.Module, layer: str) -> Tuple[str, nn.Module]:
    """Return the module named ``layer`` (its last module for a container).

    Args:
        model (nn.Module): The model.
        layer (str): Dotted module name, as in ``model.named_modules()``
            (e.g. ``'backbone.layer3'``).

    Returns:
        tuple[str, nn.Module]: The name of the module whose output is
        captured (``'backbone.blocks2.1'`` for a two-block ``ModuleList``
        ``'backbone.blocks2'``) and the module.
    """
    try:
        module = model.get_submodule(layer)
    except AttributeError:
        raise ValueError(
            f'{type(model).__name__} has no layer {layer!r}; '
            + layer_suggestions(model, layer)
        ) from None
    name = layer
    while _is_container(module):
        if len(module) == 0:
            raise ValueError(
                f'layer {name!r} is an empty {type(module).__name__}'
            )
        # the child's own name: an index, or the key of an OrderedDict
        key = list(module._modules)[-1]
        name = f'{name}.{key}'
        module = module._modules[key]
    return name, module


def as_hw(obj: Any) -> Optional[HW]:
    """``obj`` as an ``(h, w)`` pair of positive ints, else None."""
    if not isinstance(obj, (tuple, list, torch.Size)) or len(obj) != 2:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in obj):
        return None
    if obj[0] <= 0 or obj[1] <= 0:
        return None
    return int(obj[0]), int(obj[1])


def select_output(
    output: Any, args: Sequence[Any] = ()
) -> Tuple[torch.Tensor, Callable[[torch.Tensor], Any], Optional[HW]]:
    """The tensor to capture from a module's output.

    Args:
        output: What the module returned: a tensor, or a tuple / list
            holding one (its last tensor item is taken).
        args (Sequence): The module's positional inputs: an ``(h, w)``
            pair among them (Swin blocks take ``(x, hw_shape)``) is the
            grid of 3-D token outputs.

    Returns:
        tuple: The tensor, a function that puts a replacement of it back
        into the output, and the ``(h, w)`` grid found next to it (in the
        output, else in ``args``) or None.
    """
    hw = next((as_hw(a) for a in args[1:] if as_hw(a)), None)
    if isinstance(output, torch.Tensor):
        return output, lambda t: t, hw
    if isinstance(output, (tuple, list)):
        index = [
            i for i, o in enumerate(output) if isinstance(o, torch.Tensor)
        ]
        if index:
            idx = index[-1]
            found = [as_hw(o) for o in output if as_hw(o)]
            if len(output) == 2 and found:
                hw = found[0]

            def rebuild(t: torch.Tensor) -> Any:
                items = list(output)
                items[idx] = t
                if hasattr(output, '_fields'):  # a namedtuple
                    return type(output)(*items)
                return type(output)(items)

            return output[idx], rebuild, hw
    raise TypeError(
        'the captured layer must return a tensor or a tuple/list holding '
        f'one, got {type(output).__name__}'
        + (
            f' of {[type(o).__name__ for o in output]}'
            if isinstance(output, (tuple, list))
            else ''
        )
    )


def token_grid(
    num_tokens: int,
    num_extra_tokens: int = 0,
    grid_hw: Optional[HW] = None,
    patch_hw: Optional[HW] = None,
    input_hw: Optional[HW] = None,
) -> Tuple[int, HW]:
    """Extra tokens and patch grid of a token sequence of length ``L``.

    In this order:

    1. ``grid_hw`` (given by the module: Swin) with ``L = E + h * w`` or
       ``L = h * w`` (then no extra token);
    2. the patch grid ``patch_hw`` of the backbone at the input size,
       halved (rounding up, as patch merging pads) until ``h * w = L - E``
       (the later stages of a hierarchical backbone);
    3. the factorisation of ``L - E`` closest to the input's aspect ratio
       (square without ``input_hw``).

    Args:
        num_tokens (int): ``L``.
        num_extra_tokens (int): ``E``, the backbone's extra tokens.
        grid_hw (tuple[int, int], optional): Grid stated by the module.
        patch_hw (tuple[int, int], optional): Patch grid of the backbone.
        input_hw (tuple[int, int], optional): Input image size.

    Returns:
        tuple: ``E`` and the grid ``(h, w)``.
    """
    if grid_hw is not None:
        h, w = grid_hw
        for extra in (num_extra_tokens, 0):
            if h * w == num_tokens - extra:
                return extra, (h, w)
        raise ValueError(
            f'{num_tokens} tokens do not fit the grid {h}x{w} (with '
            f'{num_extra_tokens} extra tokens or none)'
        )
    patches = num_tokens - num_extra_tokens
    if patch_hw is not None:
        h, w = patch_hw
        while h * w > patches:
            h, w = (h + 1) // 2, (w + 1) // 2
        if h * w == patches:
            return num_extra_tokens, (h, w)
    return num_extra_tokens, infer_grid(patches, input_hw)


def find_token_owner(
    model: nn.Module, name: str
) -> Tuple[Optional[str], Optional[nn.Module]]:
    """The transformer backbone a token layer belongs to.

    The closest ancestor of ``name`` with a ``patch_embed`` or a
    ``num_extra_tokens`` attribute, else ``model.backbone`` when it has
    one of them.

    Args:
        model (nn.Module): The model.
        name (str): Dotted name of the captured module.

    Returns:
        tuple: The owner's name and module, or ``(None, None)``.
    """

    def is_owner(m: nn.Module) -> bool:
        return hasattr(m, 'patch_embed') or hasattr(m, 'num_extra_tokens')

    parts = name.split('.')
    for end in range(len(parts), -1, -1):
        prefix = '.'.join(parts[:end])
        module = model.get_submodule(prefix) if prefix else model
        if is_owner(module):
            return prefix, module
    backbone = getattr(model, 'backbone', None)
    if isinstance(backbone, nn.Module) and is_owner(backbone):
        return 'backbone', backbone
    return None, None


class TokenMapper:
    """Turns a captured tensor (and its gradients) into ``(N, C, h, w)``.

    Built from the captured output: 4-D tensors pass unchanged; 3-D token
    sequences are reshaped with :func:`token_grid` (the owner backbone's
    ``num_extra_tokens`` and patch grid at ``input_hw``); other shapes pass
    unchanged (the localizer then reports them).

    Args:
        tensor (torch.Tensor): The captured tensor.
        grid_hw (tuple[int, int], optional): Grid stated by the module.
        owner (nn.Module, optional): The transformer backbone.
        input_hw (tuple[int, int], optional): Input size of ``owner``.
    """

    def __init__(
        self,
        tensor: torch.Tensor,
        grid_hw: Optional[HW] = None,
        owner: Optional[nn.Module] = None,
        input_hw: Optional[HW] = None,
    ):
        self.is_tokens = tensor.dim() == 3
        self.num_extra_tokens = 0
        self.grid_hw: Optional[HW] = None
        if not self.is_tokens:
            return
        layout = token_layout(owner, input_hw) if owner is not None else None
        self.num_extra_tokens, self.grid_hw = token_grid(
            tensor.shape[1],
            layout.num_extra_tokens if layout else 0,
            grid_hw,
            layout.grid_hw if layout else None,
            input_hw,
        )

    def __call__(self, x: torch.Tensor, lead: int = 1) -> torch.Tensor:
        """Map ``x`` of shape ``(*lead, L, C)`` to ``(*lead, C, h, w)``.

        Args:
            x (torch.Tensor): The activation (``lead=1``) or gradients
                ``(N, T, L, C)`` (``lead=2``).
            lead (int): Number of leading batch dimensions.
        """
        if not self.is_tokens:
            return x
        maps = tokens_to_map(
            x.flatten(0, lead - 1), self.num_extra_tokens, self.grid_hw
        )
        return maps.reshape(*x.shape[:lead], *maps.shape[1:])
