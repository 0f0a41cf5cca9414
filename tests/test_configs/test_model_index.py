"""The method zoo files agree with the configs on disk."""

import glob
import os.path as osp

import pytest
import yaml

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
METHOD_DIRS = sorted(
    d
    for d in glob.glob(osp.join(ROOT, 'configs', '*'))
    if osp.isdir(d) and osp.basename(d) != '_base_'
)


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def test_model_index_imports_every_method_metafile():
    index = load_yaml(osp.join(ROOT, 'model-index.yml'))
    imported = {osp.normpath(p) for p in index['Import']}
    expected = {
        osp.normpath(osp.relpath(osp.join(d, 'metafile.yml'), ROOT))
        for d in METHOD_DIRS
    }
    assert imported == expected


@pytest.mark.parametrize(
    'method_dir', METHOD_DIRS, ids=[osp.basename(d) for d in METHOD_DIRS]
)
def test_method_folder_has_readme_and_valid_metafile(method_dir):
    assert osp.isfile(osp.join(method_dir, 'README.md'))
    meta = load_yaml(osp.join(method_dir, 'metafile.yml'))
    models = meta['Models']
    assert models, 'a metafile lists at least one model'
    names = [m['Name'] for m in models]
    assert len(names) == len(set(names)), 'model names are unique'
    for model in models:
        config = osp.join(ROOT, model['Config'])
        assert osp.isfile(config), f'{model["Name"]}: {model["Config"]}'
        assert osp.dirname(osp.relpath(config, method_dir)).split(osp.sep)[
            0
        ] in ('', 'ablations'), model['Config']
