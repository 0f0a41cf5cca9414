"""WSOLInferencer: inputs, batching, outputs, the box rule, and equality with
what ``tools/test.py`` computes on the same model."""

import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmwsol.apis import WSOLInferencer
from mmwsol.evaluation.box_rule import BoxRule

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO_CONFIG = osp.join(
    ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py'
)
SPA_CONFIG = osp.join(ROOT, 'configs', 'spa', 'spa_tinynet_1xb32_synthetic.py')


def small_cfg(path: str = DEMO_CONFIG, size: int = 64) -> Config:
    """A small network at a small test input size, for speed."""
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(
        dict(
            model=dict(
                backbone=dict(stage_channels=(4, 8, 8, 16)),
                head=dict(in_channels=16),
            )
        )
    )
    for t in cfg.test_dataloader.dataset.pipeline:
        if t['type'] == 'Resize':
            t['scale'] = (size, size)
    return cfg


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='random weights'):
        return WSOLInferencer(small_cfg())


def write_images(folder):
    """Five images of different sizes in a small tree (and a text file)."""
    rng = np.random.RandomState(1)
    sizes = {
        'b/x.png': (40, 30),
        'a/z.jpg': (25, 60),
        'a/y.png': (64, 48),
        'c.bmp': (33, 17),
        'b/sub/w.png': (20, 20),
    }
    images = {}
    for rel, (w, h) in sizes.items():
        path = osp.join(folder, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, rng.randint(0, 256, (h, w, 3), dtype=np.uint8))
        images[rel] = cv2.imread(path)
    with open(osp.join(folder, 'notes.txt'), 'w') as f:
        f.write('not an image')
    return images


def assert_same(a, b, atol=1e-5):
    np.testing.assert_allclose(a.scores, b.scores, atol=atol)
    assert a.labels == b.labels
    np.testing.assert_allclose(a.maps, b.maps, atol=atol)
    assert [x.tolist() for x in a.boxes] == [x.tolist() for x in b.boxes]


def test_folder_input_is_recursive_and_sorted(inferencer, tmp_path):
    write_images(str(tmp_path))
    results = inferencer(str(tmp_path), batch_size=2)
    expected = ['a/y.png', 'a/z.jpg', 'b/sub/w.png', 'b/x.png', 'c.bmp']
    assert [osp.relpath(r.img_path, str(tmp_path)) for r in results] == [
        e.replace('/', osp.sep) for e in expected
    ]


def test_batching_equals_one_by_one(inferencer, tmp_path):
    images = write_images(str(tmp_path))
    paths = [osp.join(str(tmp_path), rel) for rel in sorted(images)]
    one = inferencer(paths, batch_size=1, topk=2)
    three = inferencer(paths, batch_size=3, topk=2)
    assert len(one) == len(three) == 5
    for a, b in zip(one, three):
        assert_same(a, b)


def test_array_input_equals_file_input(inferencer, tmp_path):
    images = write_images(str(tmp_path))
    rel = 'a/z.jpg'
    from_file = inferencer(osp.join(str(tmp_path), rel), topk=3)[0]
    from_array = inferencer(images[rel], topk=3)[0]
    assert from_array.img_path is None
    assert from_array.ori_shape == images[rel].shape[:2]
    assert_same(from_file, from_array)
    gray = inferencer(images[rel][..., 0])[0]
    assert gray.maps.shape == (1,) + images[rel].shape[:2]


def test_overlays_and_json_outputs(inferencer, tmp_path):
    images = write_images(str(tmp_path / 'in'))
    out, preds = tmp_path / 'vis', tmp_path / 'preds'
    results = inferencer(
        str(tmp_path / 'in'),
        topk=2,
        out_dir=str(out),
        pred_out_dir=str(preds),
        batch_size=4,
    )
    for rel, result in zip(sorted(images), results):
        stem = osp.splitext(rel)[0]
        overlay = cv2.imread(str(out / (stem + '.png')))
        h, w = images[rel].shape[:2]
        f = max(1.0, 384 / min(h, w))  # small images are upscaled
        assert overlay.shape == (round(h * f), round(w * f), 3), rel
        saved = json.loads((preds / (stem + '.json')).read_text())
        assert saved['labels'] == result.labels
        assert saved['boxes'] == [b.tolist() for b in result.boxes]
        assert saved['box_rule'] == result.box_rule
        assert 'maps' not in saved
        np.testing.assert_allclose(saved['scores'], result.scores, atol=1e-6)


def test_names_and_on_error(inferencer, tmp_path):
    images = write_images(str(tmp_path))
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not an image')
    good = osp.join(str(tmp_path), 'c.bmp')
    errors = []
    results = inferencer(
        [good, str(broken), images['c.bmp']],
        names=['same.png', 'x.png', 'same.jpg'],
        on_error=lambda image, error: errors.append((image, str(error))),
        out_dir=str(tmp_path / 'vis'),
    )
    assert len(results) == 2 and len(errors) == 1
    assert errors[0][0] == str(broken) and 'broken.png' in errors[0][1]
    # names that collide without their extension are made unique
    assert (tmp_path / 'vis' / 'same.png').is_file()
    assert (tmp_path / 'vis' / 'same_1.png').is_file()
    with pytest.raises(ValueError, match='broken.png'):
        inferencer([good, str(broken)])
    with pytest.raises(ValueError, match='names has 1 entries for 2'):
        inferencer([good, good], names=['a'])


def test_box_rule_of_the_config_and_cfg_options():
    with pytest.warns(UserWarning):
        spa = WSOLInferencer(small_cfg(SPA_CONFIG))
    assert spa.box_rule == BoxRule(box_mode='union')
    with pytest.warns(UserWarning):
        over = WSOLInferencer(
            small_cfg(SPA_CONFIG), cfg_options={'box_rule.threshold': 0.3}
        )
    assert over.box_rule == BoxRule(threshold=0.3, box_mode='union')
    # old per-metric keys are refused, naming the key
    cfg = small_cfg()
    cfg.test_evaluator[0]['threshold'] = 0.3
    with pytest.raises(ValueError, match=r'test_evaluator\.0\.threshold'):
        WSOLInferencer(cfg)


def test_model_by_config_name():
    with pytest.warns(UserWarning):
        by_name = WSOLInferencer('cam_tinynet_1xb32_synthetic')
    assert by_name.config.filename == DEMO_CONFIG
    with pytest.raises(FileNotFoundError, match='cam_tinynet_1xb32_synthetic'):
        WSOLInferencer('cam_tinynet_1xb32_synthetc')


def _largest_box(cam: np.ndarray, threshold: float) -> list:
    """The protocol's box, written out: uint8 map, level int(θ * max),
    foreground u8 > level, the largest contour's bounding rectangle."""
    u8 = (cam.astype(np.float64) * 255).astype(np.uint8)
    fg = (u8 > int(threshold * int(u8.max()))).astype(np.uint8) * 255
    contours = cv2.findContours(fg, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[0]
    if not contours:
        return []
    largest = max(contours, key=cv2.contourArea)
    x, y, w, h = cv2.boundingRect(largest)
    hh, ww = cam.shape
    return [[x, y, min(x + w, ww - 1), min(y + h, hh - 1)]]


def test_equals_the_test_tool_path_on_the_same_model(inferencer, tmp_path):
    """The test split through the dataset and ``model.test_step`` (what
    ``tools/test.py`` runs), then a bicubic resize to the original size
    and the protocol's box, give the inferencer's answer."""
    cfg = small_cfg()
    cfg.test_dataloader.batch_size = 4
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    from mmwsol.synthetic import generate_synthetic_dataset

    data_root = str(tmp_path / 'data')  # a clean checkout has no data/
    generate_synthetic_dataset(
        data_root,
        num_classes=6,
        num_train=1,
        num_val=1,
        num_test=1,
        image_size=48,
        seed=3,
    )
    cfg.test_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.classes = None
    loader = Runner.build_dataloader(cfg.test_dataloader)
    batch = next(iter(loader))
    model = inferencer.model
    old_topk = model.topk_maps  # the test configs ask for no top-k map
    model.topk_maps = 1
    try:
        with torch.no_grad():
            samples = model.test_step(batch)
    finally:
        model.topk_maps = old_topk
    paths = [s.img_path for s in samples]
    results = inferencer(paths, batch_size=4)
    for sample, result in zip(samples, results):
        h, w = (int(v) for v in sample.ori_shape)
        np.testing.assert_allclose(
            result.scores, sample.pred_score.numpy(), atol=1e-5
        )
        label = int(sample.pred_cam_labels[0])
        assert result.labels == [label]
        cam = sample.pred_cams[0].numpy().astype(np.float32)
        expected = np.clip(
            cv2.resize(cam, (w, h), interpolation=cv2.INTER_CUBIC), 0, 1
        )
        np.testing.assert_allclose(result.maps[0], expected, atol=1e-5)
        assert result.boxes[0].tolist() == _largest_box(expected, 0.2)


def test_show_and_datasamples(inferencer, monkeypatch):
    from mmwsol.apis import inferencer as inferencer_module

    shown = []
    monkeypatch.setattr(
        inferencer_module,
        'show_image',
        lambda image, name, wait: shown.append((image.shape, name, wait)),
    )
    img = np.random.RandomState(3).randint(0, 256, (20, 30, 3), np.uint8)
    inferencer([img, img], show=True, wait_time=0.5)
    # 20 x 30 upscaled to a 384 px shortest side
    assert shown == [
        ((384, 576, 3), 'array_00000', 0.5),
        ((384, 576, 3), 'array_00001', 0.5),
    ]
    (sample,) = inferencer(img, return_datasamples=True, topk=2)
    assert tuple(sample.pred_cams.shape[-2:]) == (64, 64)  # input size
    assert len(sample.pred_cam_labels) == 2
