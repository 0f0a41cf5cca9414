"""Make an mmpretrain backbone return feature maps, not pooled vectors.

Several mmpretrain backbones pool or select tokens by default: ConvNeXt
(and EdgeNeXt, HorNet, TinyViT) average the last map before their final
norm (``gap_before_final_norm=True``), ViT / DeiT / BEiT / ... return the
class token (``out_type='cls_token'``). The CAM heads need the spatial map,
so :func:`spatial_backbone_cfg` rewrites such options in a backbone config
by a small table of rules, each keyed on a constructor argument of the
backbone class. :func:`spatial_option_hint` names the option for a backbone
that was already built.
"""

import inspect
import math
from typing import Any, Callable, List, NamedTuple, Optional, Tuple, Union

import torch
import torch.nn as nn

from mmwsol.registry import MODELS

from .token_maps import infer_grid, token_layout, tokens_to_map


class SpatialRule(NamedTuple):
    """One rule: when ``needs_change(cls, value, cfg)`` holds for the
    value of the constructor argument ``option``, set it to ``value``."""

    option: str
    value: Any
    needs_change: Callable[[type, Any, dict], bool]
    reason: str


def _pools_before_norm(cls: type, value: Any, cfg: dict) -> bool:
    return bool(value)


def _selects_tokens(cls: type, value: Any, cfg: dict) -> bool:
    allowed = getattr(cls, 'OUT_TYPES', None)
    return value in ('cls_token', 'avg_featmap') and (
        allowed is None or 'featmap' in allowed
    )


def _largest(value: Union[int, list, tuple]) -> int:
    return max(value) if isinstance(value, (list, tuple)) else int(value)


def _small_last_map(cls: type, value: Any, cfg: dict) -> bool:
    """Whether the last stage's map at ``img_size`` is smaller than the
    window (mmpretrain's Swin asserts then unless ``pad_small_map``)."""
    if value:
        return False
    defaults = _defaults(cls)
    size = cfg.get('img_size', defaults.get('img_size', 224))
    window = cfg.get('window_size', defaults.get('window_size', 7))
    patch = cfg.get('patch_size', defaults.get('patch_size', 4))
    arch = cfg.get('arch', defaults.get('arch'))
    depths = arch.get('depths') if isinstance(arch, dict) else None
    stages = len(depths) if depths else 4
    sizes = size if isinstance(size, (list, tuple)) else (size, size)
    side = min(math.ceil(int(s) / _largest(patch)) for s in sizes)
    for _ in range(stages - 1):
        side = math.ceil(side / 2)
    return side < _largest(window)


RULES: Tuple[SpatialRule, ...] = (
    SpatialRule(
        'gap_before_final_norm',
        False,
        _pools_before_norm,
        'it pools the last map before its final norm',
    ),
    SpatialRule(
        'out_type',
        'featmap',
        _selects_tokens,
        'it returns a class token / pooled tokens, not the patch map',
    ),
    SpatialRule(
        'pad_small_map',
        True,
        _small_last_map,
        'its last map at img_size is smaller than the attention window',
    ),
)


def _defaults(cls: type) -> dict:
    """Constructor defaults of ``cls``, those of its bases included (a
    subclass taking ``**kwargs``, like DeiT's, passes them on)."""
    defaults = {}
    for klass in reversed(cls.__mro__):
        try:
            params = inspect.signature(klass.__init__).parameters
        except (TypeError, ValueError):
            continue
        defaults.update(
            (name, p.default)
            for name, p in params.items()
            if p.default is not inspect.Parameter.empty
        )
    return defaults


def backbone_class(cfg: dict) -> Optional[type]:
    """The class a backbone config builds, or None when unknown."""
    kind = cfg.get('type')
    if isinstance(kind, type):
        return kind
    if not isinstance(kind, str):
        return None
    return MODELS.get(kind)


def spatial_backbone_cfg(cfg: dict) -> Tuple[dict, List[str]]:
    """Set the options of a backbone config that keep its output spatial.

    Args:
        cfg (dict): Backbone config (left unchanged).

    Returns:
        tuple[dict, list[str]]: The config to build, and one line per
        option that was set (``"ConvNeXt: set gap_before_final_norm=False
        (...)"``), empty when nothing changed.
    """
    cls = backbone_class(cfg)
    if cls is None:
        return cfg, []
    defaults = _defaults(cls)
    new_cfg = dict(cfg)
    notes = []
    for rule in RULES:
        if rule.option not in defaults:
            continue
        current = cfg.get(rule.option, defaults[rule.option])
        if rule.needs_change(cls, current, cfg):
            new_cfg[rule.option] = rule.value
            notes.append(
                f'{cls.__name__}: set backbone.{rule.option}='
                f'{rule.value!r} (was {current!r}: {rule.reason}; the CAM '
                'heads need its feature map)'
            )
    return new_cfg, notes


def spatial_option_hint(backbone: nn.Module) -> str:
    """What to set so that a built backbone returns a feature map.

    Args:
        backbone (nn.Module): The backbone.

    Returns:
        str: e.g. ``"set backbone.gap_before_final_norm=False"``, or a
        sentence saying that the backbone has no such option.
    """
    name = type(backbone).__name__
    if getattr(backbone, 'gap_before_final_norm', False):
        return f'set backbone.gap_before_final_norm=False ({name})'
    if getattr(backbone, 'out_type', None) in ('cls_token', 'avg_featmap'):
        return f"set backbone.out_type='featmap' ({name})"
    return (
        f'{name} has no option mmwsol knows that keeps its output '
        'spatial; use a backbone (or out_indices) that returns a '
        '(N, C, H, W) map, or a gradient localizer on one of its layers'
    )


def run_backbone(backbone: nn.Module, inputs: torch.Tensor) -> tuple:
    """``backbone(inputs)``, with mmpretrain's window assertion of
    Swin-style backbones turned into an error that names the options."""
    try:
        return backbone(inputs)
    except AssertionError as err:
        if 'pad_small_map' not in str(err):
            raise
        size = tuple(inputs.shape[-2:])
        raise ValueError(
            f'{type(backbone).__name__} at input {size[0]}x{size[1]}: '
            f'{err} Set backbone.img_size={size[0]} (mmwsol then sets '
            'pad_small_map=True when it is needed) or '
            'backbone.pad_small_map=True.'
        ) from None


def as_feature_maps(
    outs: Union[tuple, torch.Tensor],
    backbone: nn.Module,
    input_hw: Tuple[int, int],
) -> tuple:
    """Backbone outputs as ``(N, C, H, W)`` maps.

    Token sequences ``(N, L, C)`` are reshaped to the patch grid (extra
    tokens dropped, see :func:`token_layout`); maps pass through; pooled
    ``(N, C)`` vectors in last place raise an error naming the backbone
    option to set.

    Args:
        outs (tuple | torch.Tensor): Backbone outputs.
        backbone (nn.Module): The backbone that produced them.
        input_hw (tuple[int, int]): ``(H, W)`` of the network input.

    Returns:
        tuple: The outputs, maps where they were tokens.
    """
    outs = tuple(outs) if isinstance(outs, (tuple, list)) else (outs,)
    last = outs[-1]
    if not torch.is_tensor(last) or last.dim() == 4:
        return outs
    if last.dim() == 2:
        raise ValueError(
            f'{type(backbone).__name__} returned pooled features of shape '
            f'{tuple(last.shape)}, the CAM heads need a (N, C, H, W) map: '
            f'{spatial_option_hint(backbone)}'
        )
    extra, grid = token_layout(backbone, input_hw)
    return tuple(
        _tokens_as_map(x, extra, grid, input_hw)
        if torch.is_tensor(x) and x.dim() == 3
        else x
        for x in outs
    )


def _tokens_as_map(
    x: torch.Tensor,
    extra: int,
    grid: Optional[Tuple[int, int]],
    input_hw: Tuple[int, int],
) -> torch.Tensor:
    """One token sequence as a map; the grid is inferred from the input's
    aspect ratio when the patch grid does not match its length."""
    if grid is None or grid[0] * grid[1] != x.shape[1] - extra:
        grid = infer_grid(x.shape[1] - extra, input_hw)
    return tokens_to_map(x, extra, grid)
