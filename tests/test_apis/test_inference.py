"""mmwsol.apis: the init_localizer / localize wrappers of WSOLInferencer on
random-init models."""

import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmwsol.apis import (
    LocalizationResult,
    WSOLInferencer,
    init_localizer,
    localize,
    map_to_original,
    results_to_coco,
    results_to_coco_detections,
)
from mmwsol.evaluation.box_rule import BoxRule

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO_CONFIG = osp.join(
    ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py'
)


def one_config_per_method():
    """One config of each method folder.

    The folder's own method on the synthetic set first
    (``configs/nl_ccam/nl-ccam_tinynet_1xb32_synthetic.py``), else any
    synthetic config of the folder, else its first config.

    Folders added later (e.g. ``configs/spa``, ``configs/bagcams``) are
    picked up automatically.
    """
    picked = []
    for folder in sorted(glob.glob(osp.join(ROOT, 'configs', '*', ''))):
        if osp.basename(osp.dirname(folder)) == '_base_':
            continue
        configs = sorted(glob.glob(osp.join(folder, '*.py')))
        if not configs:
            configs = sorted(
                glob.glob(osp.join(folder, '**', '*.py'), recursive=True)
            )
        if not configs:
            continue
        method = osp.basename(osp.dirname(folder)).replace('_', '-')
        tiny = [p for p in configs if 'synthetic' in osp.basename(p)]
        main = [p for p in tiny if osp.basename(p).startswith(method + '_')]
        picked.append((main or tiny or configs)[0])
    return picked


CONFIGS = one_config_per_method()


def small_input_cfg(path: str) -> Config:
    """The config with a small (64 px) test input size, for speed."""
    cfg = Config.fromfile(path)
    pipeline = cfg.test_dataloader.dataset.pipeline
    for t in pipeline:
        if t['type'] == 'Resize':
            t['scale'] = (64, 64)
    return cfg


def random_images():
    rng = np.random.RandomState(0)
    return [
        rng.randint(0, 256, (50, 70, 3), dtype=np.uint8),
        rng.randint(0, 256, (33, 21, 3), dtype=np.uint8),
    ]


def check_result(result: LocalizationResult, shape, topk, num_classes):
    h, w = shape
    assert result.ori_shape == (h, w)
    assert result.scores.dtype == np.float32
    assert result.scores.shape == (num_classes,)
    assert abs(float(result.scores.sum()) - 1) < 1e-4
    k = min(topk, num_classes)
    assert len(result.labels) == len(result.label_scores) == k
    assert len(result.class_names) == k
    assert result.labels[0] == result.pred_label
    assert result.label_scores == sorted(result.label_scores, reverse=True)
    assert all(isinstance(label, int) for label in result.labels)
    assert result.maps.dtype == np.float32
    assert result.maps.shape == (k, h, w)
    assert np.isfinite(result.maps).all()
    assert result.maps.min() >= 0 and result.maps.max() <= 1
    assert len(result.boxes) == k
    for boxes in result.boxes:
        assert boxes.dtype == np.int64 and boxes.ndim == 2
        assert boxes.shape[1] == 4
        assert (boxes[:, 0] >= 0).all() and (boxes[:, 1] >= 0).all()
        assert (boxes[:, 2] <= w - 1).all() and (boxes[:, 3] <= h - 1).all()
        assert (boxes[:, 2] >= boxes[:, 0]).all()
        assert (boxes[:, 3] >= boxes[:, 1]).all()
    assert set(result.box_rule) == {
        'threshold',
        'threshold_standard',
        'percentile',
        'box_mode',
    }


def test_configs_of_every_method_are_picked():
    folders = {
        osp.relpath(p, osp.join(ROOT, 'configs')).split(osp.sep)[0]
        for p in CONFIGS
    }
    assert {'cam', 'rethinking_cam', 'nl_ccam'} <= folders


@pytest.mark.parametrize(
    'path', CONFIGS, ids=lambda p: osp.relpath(p, osp.join(ROOT, 'configs'))
)
def test_localize_random_init_every_method(path, tmp_path):
    cfg = small_input_cfg(path)
    with pytest.warns(UserWarning, match='random weights'):
        model = init_localizer(cfg)
    assert isinstance(model, WSOLInferencer)
    assert not model.model.training
    num_classes = cfg.model.head.num_classes
    arrays = random_images()
    file = str(tmp_path / 'img.png')
    cv2.imwrite(file, arrays[0])
    # two batches: [array, same pixels from a file], [other array]
    results = localize(
        model, [arrays[0], file, arrays[1]], topk=2, batch_size=2
    )
    assert len(results) == 3
    for result, img in zip(results, [arrays[0], arrays[0], arrays[1]]):
        check_result(result, img.shape[:2], 2, num_classes)
    assert results[0].img_path is None and results[1].img_path == file
    # the same pixels from a file and an array give the same answer
    np.testing.assert_allclose(results[1].scores, results[0].scores, atol=1e-5)
    np.testing.assert_allclose(results[1].maps, results[0].maps, atol=1e-5)
    # a single input gives a single result
    single = localize(model, arrays[1], topk=1)
    assert isinstance(single, LocalizationResult)
    check_result(single, arrays[1].shape[:2], 1, num_classes)
    # the COCO export accepts them
    coco = results_to_coco(results, ['a.png', 'b.png', 'c.png'])
    assert len(coco['images']) == 3


def test_checkpoint_class_names_and_settings(tmp_path):
    from mmengine.runner import save_checkpoint

    cfg = Config.fromfile(DEMO_CONFIG)
    with pytest.warns(UserWarning):
        model = init_localizer(cfg)
    names = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5']
    ckpt = str(tmp_path / 'model.pth')
    save_checkpoint(
        dict(
            meta=dict(dataset_meta=dict(classes=names)),
            state_dict=model.model.state_dict(),
        ),
        ckpt,
    )
    loaded = init_localizer(DEMO_CONFIG, ckpt)
    assert loaded.classes == names
    assert loaded.box_rule == BoxRule(
        threshold=0.2,
        threshold_standard='max',
        percentile=90,
        box_mode='largest',
    )
    img = random_images()[0]
    a, b = localize(model, img, topk=3), localize(loaded, img, topk=3)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-6)
    assert b.class_names == [names[c] for c in b.labels]
    # the model's topk_maps is left as configured
    assert loaded.model.topk_maps == cfg.model.topk_maps


def test_class_names_from_dataset_config():
    # the demo dataset names data/synthetic/classes.txt relative to the
    # working directory; without the file, labels are their own names
    cfg = Config.fromfile(DEMO_CONFIG)
    names = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5']
    cfg.test_dataloader.dataset.classes = names
    with pytest.warns(UserWarning):
        model = init_localizer(cfg)
    assert model.classes == names
    cfg.test_dataloader.dataset.classes = '/nonexistent/classes.txt'
    for key in ('val_dataloader', 'train_dataloader'):
        cfg[key].dataset.classes = None
    with pytest.warns(UserWarning):
        model = init_localizer(cfg)
    assert model.classes is None
    result = localize(model, random_images()[0])
    assert result.class_names == [str(result.labels[0])]


def test_box_rule_from_config_and_overrides():
    pas = Config.fromfile(
        osp.join(
            ROOT,
            'configs',
            'rethinking_cam',
            'rethinking-cam-pas_tinynet_1xb32_synthetic.py',
        )
    )
    with pytest.warns(UserWarning):
        model = init_localizer(pas)
    # the config's top-level box_rule (PaS)
    assert model.box_rule == BoxRule(
        threshold=0.35, threshold_standard='percentile', percentile=90
    )
    img = random_images()[0]
    default = localize(model, img)
    assert default.box_rule['threshold_standard'] == 'percentile'
    assert default.box_rule['box_mode'] == 'largest'
    assert len(default.boxes[0]) <= 1
    over = localize(
        model, img, threshold=0.5, threshold_standard='max', box_mode='all'
    )
    assert over.box_rule == dict(
        threshold=0.5, threshold_standard='max', percentile=90, box_mode='all'
    )
    # threshold 0 keeps every non-zero pixel: a box at least as large
    low = localize(model, img, threshold=0.0, threshold_standard='max')
    high = localize(model, img, threshold=0.9, threshold_standard='max')

    def area(b):
        return (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)

    assert area(low.boxes[0]).max() >= area(high.boxes[0]).max()
    with pytest.raises(ValueError, match=r'box_rule\.threshold_standard'):
        localize(model, img, threshold_standard='mean')
    with pytest.raises(ValueError, match=r'box_rule\.box_mode'):
        localize(model, img, box_mode='biggest')
    with pytest.raises(ValueError, match='topk'):
        localize(model, img, topk=0)
    with pytest.raises(ValueError, match='unknown argument'):
        localize(model, img, standard='max')


def test_bad_inputs_name_the_file(tmp_path):
    with pytest.warns(UserWarning):
        model = init_localizer(DEMO_CONFIG)
    missing = str(tmp_path / 'missing.png')
    with pytest.raises(FileNotFoundError, match='missing.png'):
        localize(model, missing)
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not an image')
    with pytest.raises(ValueError, match='broken.jpg'):
        localize(model, str(broken))
    with pytest.raises(ValueError, match='shape'):
        localize(model, np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(TypeError):
        localize(model, [3])
    assert model([]) == []
    # gray arrays are accepted
    gray = localize(model, np.full((20, 30), 128, np.uint8))
    assert gray.maps.shape[1:] == (20, 30)


def test_map_to_original():
    cam = np.zeros((8, 10), np.float32)
    cam[2:4, 2:6] = 1
    cam[5, 5] = np.nan
    out = map_to_original(cam, (8, 10), (16, 20))
    assert out.shape == (16, 20) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    # a padded map is cut to the resized image first
    padded = np.zeros((10, 12), np.float32)
    padded[:8, :10] = cam
    np.testing.assert_array_equal(
        map_to_original(padded, (8, 10), (16, 20)), out
    )


def test_coco_export_schema():
    maps = np.zeros((2, 30, 40), np.float32)
    result = LocalizationResult(
        img_path='x.png',
        ori_shape=(30, 40),
        scores=np.array([0.1, 0.7, 0.2], np.float32),
        labels=[1, 2],
        label_scores=[0.7, 0.2],
        class_names=['b', 'c'],
        maps=maps,
        boxes=[np.array([[5, 6, 39, 29]]), np.zeros((0, 4), np.int64)],
    )
    empty = LocalizationResult(
        img_path=None,
        ori_shape=(10, 10),
        scores=np.array([0.5, 0.3, 0.2], np.float32),
        labels=[0],
        label_scores=[0.5],
        class_names=['a'],
        maps=maps[:1, :10, :10],
        boxes=[np.array([[3, 3, 3, 7]])],
    )  # zero width: left out
    coco = results_to_coco(
        [result, empty], ['x.png', 'y.png'], ['a', 'b', 'c'], info=dict(note=1)
    )
    assert coco['info'] == dict(note=1)
    assert [c['id'] for c in coco['categories']] == [1, 2, 3]
    assert coco['images'][1] == dict(
        id=2, file_name='y.png', width=10, height=10
    )
    (ann,) = coco['annotations']
    # a box ending on the last column/row reaches the image edge
    assert ann['bbox'] == [5.0, 6.0, 35.0, 24.0]
    assert ann['area'] == 35.0 * 24.0
    assert ann['category_id'] == 2 and ann['image_id'] == 1
    assert ann['iscrowd'] == 0 and ann['score'] == pytest.approx(0.7)
    dets = results_to_coco_detections([result, empty])
    assert dets == [
        dict(image_id=1, category_id=2, bbox=ann['bbox'], score=ann['score'])
    ]
    with pytest.raises(ValueError, match='file names'):
        results_to_coco([result], [])
    # without class names, categories cover the labels seen
    assert len(results_to_coco([result], ['x'])['categories']) == 3


def test_no_module_imports_apis_eagerly():
    """``import mmwsol`` stays light: only ``mmwsol.apis`` imports itself.

    (A static check: a subprocess ``import mmwsol`` costs seconds.)
    """
    import ast

    offenders = []
    for path in glob.glob(
        osp.join(ROOT, 'mmwsol', '**', '*.py'), recursive=True
    ):
        rel = osp.relpath(path, ROOT)
        if rel.startswith(osp.join('mmwsol', 'apis')):
            continue
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [('.' * node.level) + (node.module or '')]
                names += [a.name for a in node.names if node.level]
            if any(
                n in ('mmwsol.apis', '.apis', '..apis', 'apis')
                or n.startswith(('mmwsol.apis.', '.apis.'))
                for n in names
            ):
                offenders.append(rel)
    assert offenders == []


def test_result_to_dict_is_json_ready():
    import json

    with pytest.warns(UserWarning):
        model = init_localizer(DEMO_CONFIG)
    result = localize(model, random_images()[1], topk=2)
    text = json.dumps(result.to_dict())
    assert 'maps' not in json.loads(text)
    assert (
        len(json.loads(json.dumps(result.to_dict(with_maps=True)))['maps'])
        == 2
    )
    assert torch.is_tensor(torch.as_tensor(result.maps))
