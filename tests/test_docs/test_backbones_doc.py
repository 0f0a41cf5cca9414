"""docs/backbones.md matches tools/analysis/backbone_layers.py, and the
tool's map sizes follow the backbones' strides (issue #14, point 5)."""

import functools
import importlib.util
import os.path as osp

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DOC = osp.join(ROOT, 'docs', 'backbones.md')
# a cheap subset covering every output form: maps, a ModuleList stage,
# (tokens, hw) tuples, tokens with two extra tokens
CHECKED = ('ResNet', 'MobileNetV3', 'VAN', 'Swin', 'DeiT-distilled')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'backbone_layers',
        osp.join(ROOT, 'tools', 'analysis', 'backbone_layers.py'),
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _tool()


@functools.lru_cache(maxsize=None)
def _rows(name):
    return tuple(TOOL.layer_rows(name, 224))


def _doc_lines():
    with open(DOC, encoding='utf-8') as f:
        return [line.rstrip('\n') for line in f]


def _cells(row):
    return [c.strip() for c in row.strip('|').split('|')]


@pytest.mark.parametrize('name', CHECKED)
def test_doc_layer_rows_match_the_tool(name):
    doc = _doc_lines()
    label = TOOL.FAMILIES[name].label
    documented = [r for r in doc if r.startswith(f'| {label} | ')]
    # the option table has two columns; the layer table four
    documented = [r for r in documented if len(_cells(r)) == 4]
    assert documented == list(_rows(name))


def test_doc_lists_every_family_and_option_row():
    doc = _doc_lines()
    for name in TOOL.FAMILIES:
        label = TOOL.FAMILIES[name].label
        assert any(r.startswith(f'| {label} | ') for r in doc), name
        assert TOOL.spatial_rows(name)[0] in doc
    for name in TOOL.SPATIAL_EXTRA:
        assert TOOL.spatial_rows(name)[0] in doc


def test_every_backbone_matrix_family_is_documented():
    spec = importlib.util.spec_from_file_location(
        'matrix',
        osp.join(ROOT, 'tests', 'test_models', 'test_backbone_matrix.py'),
    )
    matrix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(matrix)
    assert set(matrix.CASES) <= set(TOOL.FAMILIES)


def _sizes(name):
    return {_cells(r)[1]: _cells(r)[3] for r in _rows(name)}


def test_map_sizes_follow_the_strides():
    # ResNet-50: stage i at stride 4 * 2**i; the head sees layer4
    sizes = _sizes('ResNet')
    for i, stride in enumerate((4, 8, 16, 32), start=1):
        side = 224 // stride
        assert sizes[f'`backbone.layer{i}`'] == f'{side}×{side}'
    assert sizes['CAM head input'] == '7×7'
    # Swin-T: patch 4, merged 2x after each stage
    sizes = _sizes('Swin')
    for i, side in enumerate((56, 28, 14, 7)):
        assert sizes[f'`backbone.stages.{i}`'] == f'{side}×{side}'
    # DeiT (16 px patches): 196 patches + class and distillation tokens
    for row in _rows('DeiT-distilled'):
        assert _cells(row)[3] == '14×14'
        if 'tokens' in row:
            assert 'tokens (198, 384), 2 extra' in row
    # VAN: a ModuleList stage stands for its last block
    assert any('(= `backbone.blocks2.2`)' in r for r in _rows('VAN'))


def test_command_line_prints_both_tables(capsys):
    TOOL.main(['--families', 'MobileNetV3', '--size', '128'])
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == list(TOOL.LAYER_HEADER)
    # 128 px: MobileNetV3's last map at stride 32 is 4x4
    head = [r for r in lines if 'CAM head input' in r]
    assert len(head) == 1 and _cells(head[0])[3] == '4×4'
    assert lines[-3:-1] == list(TOOL.SPATIAL_HEADER)
    assert lines[-1] == TOOL.spatial_rows('MobileNetV3')[0]


def test_doc_localizer_table_matches_the_tool():
    spec = importlib.util.spec_from_file_location(
        'backbone_localizers',
        osp.join(ROOT, 'tools', 'analysis', 'backbone_localizers.py'),
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    doc = _doc_lines()
    for line in tool.header():
        assert line in doc
    cases = tool.load_cases()
    for name in cases:  # every backbone of the matrix has its row
        assert any(r.startswith(f'| {name} (`') for r in doc), name
    # one row run again (DeiT: token layers, TSCAM): every cell 'ok'
    row = tool.table_row('DeiT', cases['DeiT'])
    assert row in doc
    assert _cells(row)[1:] == ['ok'] * len(tool.LOCALIZERS)
