"""Which layer for which backbone: the ``layer=`` names of each backbone
family and the map each one gives at a given input size.

Builds every family at its default (or named) architecture with random
weights inside a :class:`WSOLClassifier` with a ``CAMHead`` (so the
spatial-output settings of ``mmwsol.models.utils.spatial_output`` apply),
runs one input of ``--size`` pixels and prints two markdown tables:

- the layers: what each named module returns and the ``(h, w)`` map that a
  gradient localizer takes from it (the same functions as
  ``LayerGradCapture``: containers stand for their last module, tuples give
  their last tensor, token sequences are reshaped to the patch grid), plus
  the map that feeds the CAM head;
- the backbone options WSOLClassifier sets for each family.

Example::

    python tools/analysis/backbone_layers.py              # all, 224 px
    python tools/analysis/backbone_layers.py --families ResNet Swin

docs/backbones.md holds the output (tests/test_docs/test_backbones_doc.py
checks that it matches).
"""

import argparse
import logging
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpretrain.models import SwinTransformer, VisionTransformer

from mmwsol.models.localizers.layer_output import (
    TokenMapper,
    find_token_owner,
    resolve_layer,
    select_output,
)
from mmwsol.models.utils.spatial_output import spatial_backbone_cfg
from mmwsol.registry import MODELS

# backbones built for the input size (Swin checks its window against it)
TRANSFORMERS = (SwinTransformer, VisionTransformer)


class Family(NamedTuple):
    """A backbone family: its label, backbone config, the layers to list
    (stages, a middle block, the last block) and an optional neck."""

    label: str
    backbone: dict
    layers: Tuple[str, ...]
    neck: Optional[dict] = None


def _stages(fmt: str, indices) -> Tuple[str, ...]:
    return tuple(fmt.format(i) for i in indices)


FAMILIES: Dict[str, Family] = {
    f.label.split(' ')[0]: f
    for f in (
        Family(
            'ResNet (depth 50)',
            dict(type='ResNet', depth=50),
            _stages('backbone.layer{}', range(1, 5))
            + ('backbone.layer3.2', 'backbone.layer4.2'),
        ),
        Family(
            'ResNet-CAM (depth 50, strides (1, 2, 2, 1): the CAM configs)',
            dict(type='ResNet', depth=50, strides=(1, 2, 2, 1)),
            ('backbone.layer3', 'backbone.layer4'),
        ),
        Family(
            'WSOLVGG (VGG16-GAP: the CAM configs)',
            dict(type='WSOLVGG'),
            ('backbone.features', 'backbone.conv6'),
        ),
        Family(
            'WSOLInceptionV3 (large_feature_map: the CAM configs)',
            dict(type='WSOLInceptionV3', large_feature_map=True),
            ('backbone.Mixed_5d', 'backbone.Mixed_6e', 'backbone.spg'),
        ),
        Family(
            'Res2Net (depth 50)',
            dict(type='Res2Net', depth=50),
            _stages('backbone.layer{}', range(1, 5)) + ('backbone.layer3.2',),
        ),
        Family(
            "RegNet (arch='regnetx_400mf')",
            dict(type='RegNet', arch='regnetx_400mf'),
            _stages('backbone.layer{}', range(1, 5)) + ('backbone.layer4.5',),
        ),
        Family(
            "EfficientNet (arch='b0')",
            dict(type='EfficientNet', arch='b0'),
            _stages('backbone.layers.{}', range(1, 7))
            + ('backbone.layers.4.1',),
        ),
        Family(
            'MobileNetV2 (widen_factor 1.0)',
            dict(type='MobileNetV2'),
            _stages('backbone.layer{}', range(1, 8))
            + ('backbone.layer4.2', 'backbone.conv2'),
        ),
        Family(
            "MobileNetV3 (arch='small')",
            dict(type='MobileNetV3'),
            _stages('backbone.layer{}', (1, 3, 6, 8, 11, 12)),
        ),
        Family(
            "DenseNet (arch='121')",
            dict(type='DenseNet'),
            _stages('backbone.stages.{}', range(4))
            + ('backbone.stages.2.block.12', 'backbone.transitions.3'),
        ),
        Family(
            "PoolFormer (arch='s12')",
            dict(type='PoolFormer'),
            _stages('backbone.network.{}', (0, 2, 4, 6))
            + ('backbone.network.4.2', 'backbone.norm6'),
        ),
        Family(
            "VAN (arch='tiny')",
            dict(type='VAN'),
            _stages('backbone.blocks{}', range(1, 5))
            + ('backbone.blocks3.2', 'backbone.norm4'),
        ),
        Family(
            "HRNet (arch='w18')",
            dict(type='HRNet', arch='w18'),
            ('backbone.layer1', 'backbone.stage2', 'backbone.stage3')
            + ('backbone.stage4', 'backbone.stage3.1'),
        ),
        Family(
            "HRNet+HRFuseNeck (arch='w18', all branches fused)",
            dict(type='HRNet', arch='w18'),
            (),
            dict(type='HRFuseNeck'),
        ),
        Family(
            "ConvNeXt (arch='tiny')",
            dict(type='ConvNeXt'),
            _stages('backbone.stages.{}', range(4))
            + ('backbone.stages.2.4', 'backbone.stages.3.2'),
        ),
        Family(
            "Swin (arch='tiny', img_size = the input size)",
            dict(type='SwinTransformer'),
            _stages('backbone.stages.{}', range(4))
            + (
                'backbone.stages.2.blocks.2',
                'backbone.stages.3.blocks.1',
                'backbone.norm3',
            ),
        ),
        Family(
            "ViT (arch='base', patch 16)",
            dict(type='VisionTransformer'),
            _stages('backbone.layers.{}', (0, 5, 11)) + ('backbone.ln1',),
        ),
        Family(
            "DeiT (arch='deit-small', VisionTransformer: the CAM configs)",
            dict(type='VisionTransformer', arch='deit-small'),
            _stages('backbone.layers.{}', (0, 5, 11)),
        ),
        Family(
            "DeiT-distilled (arch='deit-small', DistilledVisionTransformer)",
            dict(type='DistilledVisionTransformer', arch='deit-small'),
            _stages('backbone.layers.{}', (0, 5, 11)),
        ),
    )
}


def _shape(t: torch.Tensor) -> str:
    return '(' + ', '.join(str(s) for s in t.shape[1:]) + ')'


def describe_output(output: Any, args: tuple) -> str:
    """What a module returned, per sample (batch dimension left out)."""
    if torch.is_tensor(output):
        kind = {4: 'map', 3: 'tokens'}.get(output.dim(), 'tensor')
        return f'{kind} {_shape(output)}'
    if isinstance(output, (tuple, list)):
        tensors = [o for o in output if torch.is_tensor(o)]
        kind = type(output).__name__
        if len(output) == 2 and len(tensors) == 1:
            return f'{kind} (tokens {_shape(tensors[0])}, (h, w))'
        return f'{kind} of {len(tensors)}, last {_shape(tensors[-1])}'
    return type(output).__name__


def build_model(family: Family, size: int = 224) -> nn.Module:
    """The family's backbone (and neck) in a WSOLClassifier + CAMHead; a
    ViT / Swin-style backbone gets ``img_size=size``."""
    init_default_scope('mmwsol')
    backbone = dict(family.backbone)
    if issubclass(MODELS.get(backbone['type']), TRANSFORMERS):
        backbone['img_size'] = size
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=backbone,
            neck=family.neck,
            head=dict(type='CAMHead', num_classes=2, in_channels=1),
        )
    )
    return model.eval()


def layer_rows(name: str, size: int = 224) -> List[str]:
    """Markdown rows ``| family | layer | output | map |`` of a family.

    Args:
        name (str): Key of :data:`FAMILIES`.
        size (int): Input side in pixels.

    Returns:
        list[str]: One row per listed layer, then the CAM head's input.
    """
    family = FAMILIES[name]
    model = build_model(family, size)
    captured, handles, resolved = {}, [], {}
    for layer in family.layers:
        module_name, module = resolve_layer(model, layer)
        resolved[layer] = module_name

        def hook(mod, args, output, layer=layer):
            captured[layer] = (args, output)

        handles.append(module.register_forward_hook(hook))
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        head_input = model.extract_feat(x)[-1]
    for handle in handles:
        handle.remove()
    rows = []
    for layer in family.layers:
        args, output = captured[layer]
        tensor, _, grid = select_output(output, args)
        owner = find_token_owner(model, resolved[layer])[1]
        mapper = TokenMapper(tensor, grid, owner, (size, size))
        form = describe_output(output, args)
        if mapper.is_tokens:
            form += f', {mapper.num_extra_tokens} extra'
        if resolved[layer] != layer:
            form += f' (= `{resolved[layer]}`)'
        rows.append(_row(family.label, f'`{layer}`', form, mapper(tensor)))
    head_form = f'map {_shape(head_input)}'
    rows.append(_row(family.label, 'CAM head input', head_form, head_input))
    return rows


def _row(label: str, layer: str, form: str, mapped: torch.Tensor) -> str:
    hw = f'{mapped.shape[-2]}×{mapped.shape[-1]}'
    return f'| {label} | {layer} | {form} | {hw} |'


# settings shown in the options table only (no layer listed)
SPATIAL_EXTRA: Dict[str, dict] = {
    "Swin (arch='tiny', img_size 96)": dict(
        type='SwinTransformer', img_size=96
    ),
}


def spatial_rows(name: str) -> List[str]:
    """Markdown rows ``| family | options WSOLClassifier sets |``.

    Args:
        name (str): Key of :data:`FAMILIES` or :data:`SPATIAL_EXTRA`.
    """
    if name in SPATIAL_EXTRA:
        label, backbone = name, SPATIAL_EXTRA[name]
    else:
        label, backbone = FAMILIES[name].label, FAMILIES[name].backbone
    _, notes = spatial_backbone_cfg(backbone)
    options = [n.split('set ', 1)[1].split(' (was')[0] for n in notes]
    cell = ', '.join(f'`{o}`' for o in options) if options else '–'
    return [f'| {label} | {cell} |']


LAYER_HEADER = (
    '| Backbone | `layer=` | the module returns (per sample) | map h×w |',
    '|---|---|---|---|',
)
SPATIAL_HEADER = (
    '| Backbone | options WSOLClassifier sets (with a CAM-style head) |',
    '|---|---|',
)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--families',
        nargs='+',
        default=list(FAMILIES),
        choices=list(FAMILIES),
        help='families to list (default: all)',
    )
    parser.add_argument(
        '--size', type=int, default=224, help='input side in pixels'
    )
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    # only the tables on stdout (WSOLClassifier logs its settings)
    MMLogger.get_instance('mmengine').setLevel(logging.WARNING)
    print('\n'.join(LAYER_HEADER))
    for name in args.families:
        print('\n'.join(layer_rows(name, args.size)))
    print()
    print('\n'.join(SPATIAL_HEADER))
    for name in args.families:
        print('\n'.join(spatial_rows(name)))
    if args.families == list(FAMILIES):
        for name in SPATIAL_EXTRA:
            print('\n'.join(spatial_rows(name)))


if __name__ == '__main__':
    main()
