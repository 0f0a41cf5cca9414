"""tools/localize.py: overlays, COCO pseudo-labels, bad files (in-process)."""

import importlib.util
import json
import os
import os.path as osp
import warnings

import cv2
import numpy as np
import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO_CONFIG = osp.join(
    ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py'
)
CLASSES = ['cat', 'dog', 'bird', 'fish', 'frog', 'lion']

SMALL_CONFIG = """
_base_ = [{base!r}]
model = dict(backbone=dict(stage_channels=(4, 8, 8, 16)),
             head=dict(in_channels=16))
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSOLAnnotations'),
    dict(type='Resize', scale=(48, 48), keep_ratio=False),
    dict(type='PackWSOLInputs'),
]))
"""


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'localize_tool', osp.join(ROOT, 'tools', 'localize.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()


@pytest.fixture(scope='module')
def model_files(tmp_path_factory):
    """A small config and a random-weight checkpoint with class names."""
    from mmengine.runner import save_checkpoint

    from mmwsol.apis import init_localizer

    root = tmp_path_factory.mktemp('localize_model')
    cfg = str(root / 'small_cam.py')
    with open(cfg, 'w') as f:
        f.write(SMALL_CONFIG.format(base=DEMO_CONFIG))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = init_localizer(cfg)
    ckpt = str(root / 'small.pth')
    save_checkpoint(
        dict(
            meta=dict(dataset_meta=dict(classes=CLASSES)),
            state_dict=model.model.state_dict(),
        ),
        ckpt,
    )
    return cfg, ckpt


def write_image(path, w, h, seed):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.random.RandomState(seed).randint(0, 256, (h, w, 3), np.uint8)
    cv2.rectangle(img, (w // 4, h // 4), (w // 2, h // 2), (0, 0, 255), -1)
    assert cv2.imwrite(path, img)


@pytest.fixture
def image_dir(tmp_path):
    """Images in sub-folders (various sizes), one broken, one non-image."""
    root = tmp_path / 'images'
    write_image(str(root / 'a' / 'x1.png'), 40, 30, 0)
    write_image(str(root / 'a' / 'x2.jpg'), 25, 60, 1)
    write_image(str(root / 'b' / 'c' / 'y.PNG'), 64, 64, 2)
    write_image(str(root / 'z.bmp'), 33, 17, 3)
    (root / 'b' / 'broken.png').write_bytes(b'definitely not a PNG')
    (root / 'notes.txt').write_text('not an image')
    return root


def check_coco(coco: dict, image_sizes: dict):
    """Hand check of the COCO dataset schema (what pycocotools needs)."""
    assert set(coco) >= {'images', 'annotations', 'categories', 'info'}
    img_ids = [img['id'] for img in coco['images']]
    assert len(set(img_ids)) == len(img_ids)
    assert {img['file_name'] for img in coco['images']} == set(image_sizes)
    by_id = {img['id']: img for img in coco['images']}
    for img in coco['images']:
        assert (img['width'], img['height']) == image_sizes[img['file_name']]
    cat_ids = [c['id'] for c in coco['categories']]
    assert cat_ids == list(range(1, len(CLASSES) + 1))
    assert [c['name'] for c in coco['categories']] == CLASSES
    ann_ids = [a['id'] for a in coco['annotations']]
    assert len(set(ann_ids)) == len(ann_ids)
    for ann in coco['annotations']:
        img = by_id[ann['image_id']]
        x, y, w, h = ann['bbox']
        assert w > 0 and h > 0
        assert 0 <= x and 0 <= y
        assert x + w <= img['width'] and y + h <= img['height']
        assert ann['area'] == pytest.approx(w * h)
        assert ann['iscrowd'] == 0
        assert ann['category_id'] in cat_ids
        assert 0 <= ann['score'] <= 1


def test_folder_writes_overlays_and_coco(
    model_files, image_dir, tmp_path, capsys
):
    cfg, ckpt = model_files
    out = tmp_path / 'out'
    rc = tool.main(
        [
            cfg,
            ckpt,
            str(image_dir),
            '--out',
            str(out),
            '--topk',
            '2',
            '--batch-size',
            '3',
            '--save-detections',
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0
    # the broken file is named when met and again at the end; others go on
    assert captured.err.count('broken.png') >= 2
    assert '4/5 image(s) localized' in captured.out
    sizes = {
        'a/x1.png': (40, 30),
        'a/x2.jpg': (25, 60),
        'b/c/y.PNG': (64, 64),
        'z.bmp': (33, 17),
    }
    # overlays mirror the input tree; small images are upscaled to a
    # 384 px shortest side (readable labels), keeping the aspect ratio
    for name, (w, h) in sizes.items():
        png = out / 'overlays' / (osp.splitext(name)[0] + '.png')
        img = cv2.imread(str(png))
        f = 384 / min(w, h)
        assert img is not None, name
        assert img.shape == (round(h * f), round(w * f), 3), name
    assert not (out / 'overlays' / 'b' / 'broken.png').exists()

    coco = json.loads((out / 'pseudo_labels.json').read_text())
    check_coco(coco, sizes)
    info = coco['info']
    assert info['num_images'] == 5 and info['num_localized'] == 4
    assert len(info['failed']) == 1
    assert info['failed'][0]['file'].endswith('broken.png')
    assert 'broken.png' in info['failed'][0]['error']
    assert info['threshold'] == 0.2 and info['threshold_standard'] == 'max'
    assert info['box_mode'] == 'largest' and info['topk'] == 2
    # top-2 maps, one box each at most: ranks 0 and 1
    assert {a['rank'] for a in coco['annotations']} <= {0, 1}
    assert len(coco['annotations']) <= 8

    dets = json.loads((out / 'detections.json').read_text())
    assert len(dets) == len(coco['annotations'])
    try:
        from pycocotools.coco import COCO
    except ImportError:  # the hand check above covers the schema
        return
    gt = COCO(str(out / 'pseudo_labels.json'))
    assert sorted(gt.getImgIds()) == [1, 2, 3, 4]
    assert len(gt.getAnnIds()) == len(coco['annotations'])
    if dets:
        res = gt.loadRes(str(out / 'detections.json'))
        assert len(res.getAnnIds()) == len(dets)


def test_list_file_and_options(model_files, image_dir, tmp_path, capsys):
    cfg, ckpt = model_files
    lst = image_dir / 'list.txt'
    lst.write_text('# my images\na/x1.png\n\nmissing/none.png\nz.bmp')
    out = tmp_path / 'out_list'
    rc = tool.main(
        [
            cfg,
            ckpt,
            str(lst),
            '--out',
            str(out),
            '--threshold',
            '0.35',
            '--standard',
            'percentile',
            '--percentile',
            '80',
            '--no-overlay',
            '--box-mode',
            'all',
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0
    # the missing entry is named with the list's file and line
    assert f'{lst}:4' in captured.err and 'none.png' in captured.err
    coco = json.loads((out / 'pseudo_labels.json').read_text())
    check_coco(coco, {'a/x1.png': (40, 30), 'z.bmp': (33, 17)})
    assert coco['info']['threshold_standard'] == 'percentile'
    assert coco['info']['percentile'] == 80
    assert coco['info']['threshold'] == 0.35
    assert coco['info']['box_mode'] == 'all'
    assert not (out / 'overlays').exists()
    assert not (out / 'detections.json').exists()


def test_malformed_list_line_is_an_error(model_files, image_dir, capsys):
    cfg, ckpt = model_files
    lst = image_dir / 'bad_list.txt'
    lst.write_text('a/x1.png\na/x2.jpg,3\n')
    assert tool.main([cfg, ckpt, str(lst)]) == 2
    assert f'{lst}:2' in capsys.readouterr().err


def test_single_image_and_all_failed(model_files, image_dir, tmp_path, capsys):
    cfg, ckpt = model_files
    out = tmp_path / 'single'
    assert (
        tool.main([cfg, ckpt, str(image_dir / 'z.bmp'), '--out', str(out)])
        == 0
    )
    assert (out / 'overlays' / 'z.png').is_file()
    coco = json.loads((out / 'pseudo_labels.json').read_text())
    assert coco['images'][0]['file_name'] == 'z.bmp'
    # every image fails: exit code 1, the JSON still lists the failure
    bad = tmp_path / 'bad'
    assert (
        tool.main(
            [cfg, ckpt, str(image_dir / 'b' / 'broken.png'), '--out', str(bad)]
        )
        == 1
    )
    coco = json.loads((bad / 'pseudo_labels.json').read_text())
    assert coco['images'] == [] and len(coco['info']['failed']) == 1
    # no input at all
    assert tool.main([cfg, ckpt, str(tmp_path / 'nothing')]) == 1
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert tool.main([cfg, ckpt, str(empty)]) == 1
    assert 'no image files' in capsys.readouterr().err


def test_box_rule_comes_from_the_config(
    model_files, image_dir, tmp_path, capsys
):
    """Without --box-mode the config's box_rule decides (SPA's 'union');
    the old tool drew 'largest' boxes whatever the config said."""
    _, ckpt = model_files
    spa = tmp_path / 'small_spa.py'
    spa.write_text(
        SMALL_CONFIG.format(base=DEMO_CONFIG)
        + "box_rule = dict(box_mode='union', threshold=0.3)\n"
    )
    out = tmp_path / 'out_rule'
    argv = [str(spa), ckpt, str(image_dir / 'z.bmp'), '--out', str(out)]
    assert tool.main(argv + ['--no-overlay']) == 0
    info = json.loads((out / 'pseudo_labels.json').read_text())['info']
    assert (info['box_mode'], info['threshold']) == ('union', 0.3)
    # --cfg-options reaches the same rule, a flag overrides one field
    argv += ['--cfg-options', 'box_rule.threshold=0.6', '--box-mode', 'all']
    assert tool.main(argv + ['--no-overlay']) == 0
    info = json.loads((out / 'pseudo_labels.json').read_text())['info']
    assert (info['box_mode'], info['threshold']) == ('all', 0.6)
