"""Offline evaluation of saved score maps (mmwsol.evaluation.offline).

Box numbers are checked against values computed by hand, masks against
hand-computed PxAP, and the offline path against the online one (the test
pipeline's samples fed to the same metrics) on the synthetic set.
"""

import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmwsol.evaluation.offline import (
    check_scoremap_files,
    evaluate_scoremaps,
    load_scoremap,
    resize_scoremap,
    scoremap_path,
)
from mmwsol.registry import DATASETS, METRICS
from mmwsol.synthetic import generate_synthetic_dataset

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def load_tool(name):
    """Import ``tools/analysis/<name>.py`` as a module."""
    path = osp.join(ROOT, 'tools', 'analysis', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_lines(path, lines):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines))


def write_metadata(meta_dir, images, sizes=True, loc_lines=None):
    """``images``: list of (image_id, label, (w, h), [boxes])."""
    write_lines(osp.join(meta_dir, 'image_ids.txt'), [i[0] for i in images])
    write_lines(
        osp.join(meta_dir, 'class_labels.txt'),
        [f'{i[0]},{i[1]}' for i in images],
    )
    write_lines(
        osp.join(meta_dir, 'image_sizes.txt'),
        [f'{i[0]},{i[2][0]},{i[2][1]}' for i in images] if sizes else [],
    )
    if loc_lines is None:
        loc_lines = [
            f'{i[0]},' + ','.join(str(v) for v in box)
            for i in images
            for box in i[3]
        ]
    write_lines(osp.join(meta_dir, 'localization.txt'), loc_lines)
    return meta_dir


def save_map(scoremap_dir, image_id, array):
    path = scoremap_path(str(scoremap_dir), image_id)
    os.makedirs(osp.dirname(path), exist_ok=True)
    np.save(path, array)
    return path


def box_map(x0, y0, x1, y1, size=224):
    """1 on the inclusive box, 0 elsewhere."""
    cam = np.zeros((size, size), np.float32)
    cam[y0 : y1 + 1, x0 : x1 + 1] = 1.0
    return cam


# Two images of 448 x 336 (w x h). GT box [80, 60, 279, 269] rescaled to
# 224 x 224 with int(x * 224 / 448), int(y * 224 / 336):
# x: 40, 139; y: int(40.0) = 40, int(179.33) = 179 -> [40, 40, 139, 179],
# 100 x 140 pixels.
IMAGES = [
    ('cls0/a.jpg', 0, (448, 336), [[80, 60, 279, 269]]),
    ('cls1/b.jpg', 1, (448, 336), [[80, 60, 279, 269]]),
]
GT_224 = (40, 40, 139, 179)


@pytest.fixture
def box_split(tmp_path):
    meta = write_metadata(str(tmp_path / 'meta'), IMAGES)
    maps = tmp_path / 'maps'
    # a: exactly the GT box -> IoU 1 at every threshold.
    save_map(maps, 'cls0/a.jpg', box_map(*GT_224))
    # b: the box shifted 20 px right: intersection 80 x 140, union
    # 120 x 140 -> IoU 2/3: correct at IoU 30 and 50, not at 70.
    x0, y0, x1, y1 = GT_224
    save_map(maps, 'cls1/b.jpg', box_map(x0 + 20, y0, x1 + 20, y1))
    return meta, str(maps)


def test_box_numbers_by_hand(box_split):
    meta, maps = box_split
    res = evaluate_scoremaps(meta, maps)
    assert res['MaxBoxAccV2@30'] == 100.0
    assert res['MaxBoxAccV2@50'] == 100.0
    assert res['MaxBoxAccV2@70'] == 50.0
    assert res['MaxBoxAccV2'] == pytest.approx(250.0 / 3)
    assert 'PxAP' not in res and 'top1_cls' not in res
    v1 = evaluate_scoremaps(meta, maps, box_mode='largest')
    assert v1['MaxBoxAcc'] == 100.0 and v1['MaxBoxAcc@50'] == 100.0
    assert 'MaxBoxAccV2' not in v1


def test_eval_tool_writes_metrics_and_curves(box_split, tmp_path, capsys):
    meta, maps = box_split
    out, curves = tmp_path / 'o' / 'metrics.json', tmp_path / 'curves.json'
    tool = load_tool('eval_scoremaps')
    tool.main(
        [
            '--metadata',
            meta,
            '--scoremaps',
            maps,
            '--interval',
            '0.1',
            '--out',
            str(out),
            '--curves',
            str(curves),
            '--no-progress',
        ]
    )
    written = json.loads(out.read_text())
    assert written['MaxBoxAccV2'] == pytest.approx(250.0 / 3)
    assert written['MaxBoxAccV2@70'] == 50.0
    assert 'MaxBoxAccV2' in capsys.readouterr().out
    box = json.loads(curves.read_text())
    assert box['thresholds'] == pytest.approx(np.arange(0, 1, 0.1))
    assert box['num_images'] == 2
    tool.main(
        [
            '--metadata',
            meta,
            '--scoremaps',
            maps,
            '--box-v1',
            '--out',
            str(out),
            '--no-progress',
        ]
    )
    assert json.loads(out.read_text())['MaxBoxAcc'] == 100.0


def test_progress_off_a_terminal_is_a_few_plain_lines(tmp_path, capsys):
    """With output captured (not a TTY) the progress of the tool is a few
    short lines, not one line of ``\\r`` redraws per map."""
    num = 60
    images = [(f'c0/{i:03d}.jpg', 0, (224, 224), [GT_224]) for i in range(num)]
    meta = write_metadata(str(tmp_path / 'meta'), images)
    maps = tmp_path / 'maps'
    for image_id, *_ in images:
        save_map(maps, image_id, box_map(*GT_224))
    tool = load_tool('eval_scoremaps')
    tool.main(['--metadata', meta, '--scoremaps', str(maps)])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert '\r' not in text
    lines = text.splitlines()
    assert max(len(line) for line in lines) < 120
    progress = [line for line in lines if f'/{num} (' in line]
    # at most one line per 10 % step (plus the final one), and the end
    assert 1 <= len(progress) <= 11
    assert progress[-1].startswith(f'eval_scoremaps: {num}/{num} (100%)')


def test_image_sizes_from_the_images(tmp_path, box_split):
    meta, maps = box_split
    write_lines(osp.join(meta, 'image_sizes.txt'), [])  # empty file
    with pytest.raises(ValueError, match='image-root'):
        evaluate_scoremaps(meta, maps)
    images = tmp_path / 'images'
    for image_id, _, (w, h), _ in IMAGES:
        os.makedirs(osp.dirname(images / image_id), exist_ok=True)
        cv2.imwrite(str(images / image_id), np.zeros((h, w, 3), np.uint8))
    res = evaluate_scoremaps(meta, maps, image_root=str(images))
    assert res['MaxBoxAccV2'] == pytest.approx(250.0 / 3)
    # without image_sizes.txt at all, likewise
    os.remove(osp.join(meta, 'image_sizes.txt'))
    assert evaluate_scoremaps(meta, maps, image_root=str(images)) == res


def test_resized_maps(tmp_path):
    meta = write_metadata(str(tmp_path / 'meta'), IMAGES)
    # 448 x 448 maps of the boxes at twice the size: the cubic downscale
    # rings (-0.07 outside, 1.07 on the border) but min-max normalisation
    # keeps the box above every threshold >= 0.07 and nothing else.
    big = tmp_path / 'big'
    x0, y0, x1, y1 = GT_224
    save_map(
        big, 'cls0/a.jpg', box_map(2 * x0, 2 * y0, 2 * x1 + 1, 2 * y1 + 1, 448)
    )
    save_map(
        big, 'cls1/b.jpg', box_map(2 * x0, 2 * y0, 2 * x1 + 1, 2 * y1 + 1, 448)
    )
    res = evaluate_scoremaps(meta, str(big))
    assert res['MaxBoxAccV2'] == 100.0
    # 14 x 14 maps are resized exactly as documented: cv2 INTER_CUBIC then
    # min-max, which equals saving that 224 x 224 map ourselves.
    rng = np.random.default_rng(0)
    small, done = tmp_path / 'small', tmp_path / 'done'
    for image_id, *_ in IMAGES:
        low = rng.random((14, 14))
        save_map(small, image_id, low)
        up = cv2.resize(low, (224, 224), interpolation=cv2.INTER_CUBIC)
        save_map(done, image_id, (up - up.min()) / (up.max() - up.min()))
    assert evaluate_scoremaps(meta, str(small)) == evaluate_scoremaps(
        meta, str(done)
    )


def test_resize_scoremap():
    cam = np.random.default_rng(1).random((224, 224))
    assert resize_scoremap(cam) is cam  # the protocol size: untouched
    step = np.zeros((8, 8))
    step[:, 4:] = 1.0
    up = resize_scoremap(step, (32, 16))
    assert up.shape == (32, 16)
    assert up.min() == 0.0 and up.max() == 1.0
    clipped = resize_scoremap(step, (32, 16), 'clip')
    assert clipped.min() == 0.0 and clipped.max() == 1.0
    assert not np.array_equal(up, clipped)  # overshoot: rescaled vs clipped
    assert not resize_scoremap(np.full((7, 7), 0.3), (14, 14)).any()
    with pytest.raises(ValueError, match='resize_norm'):
        resize_scoremap(step, (16, 16), 'none')


@pytest.mark.parametrize(
    'array,match',
    [
        (np.zeros((2, 224, 224), np.float32), r'2-D'),
        (np.full((224, 224), np.nan, np.float32), r'NaN'),
        (np.full((224, 224), 1.01, np.float32), r'\[0, 1\]'),
        (np.full((224, 224), -0.5), r'\[0, 1\]'),
        (np.full((224, 224), np.inf), r'\[0, 1\]'),
        (np.array([['a']]), r'numeric'),
        (np.zeros((0, 5)), r'empty'),
    ],
)
def test_bad_map_names_the_file(box_split, array, match):
    meta, maps = box_split
    bad = save_map(maps, 'cls0/a.jpg', array)
    with pytest.raises(ValueError, match=match) as info:
        evaluate_scoremaps(meta, maps)
    assert bad in str(info.value)


def test_unreadable_map(tmp_path):
    path = tmp_path / 'x.npy'
    path.write_bytes(b'not numpy')
    with pytest.raises(ValueError, match='Cannot read'):
        load_scoremap(str(path))
    np.save(path, np.array([{'a': 1}], dtype=object))
    with pytest.raises(ValueError, match=r'x\.npy'):
        load_scoremap(str(path))


def test_integer_and_bool_maps_are_accepted(tmp_path):
    path = tmp_path / 'x.npy'
    np.save(path, np.eye(3, dtype=bool))
    assert load_scoremap(str(path)).dtype == np.float64


def test_missing_and_extra_maps(box_split):
    meta, maps = box_split
    os.remove(scoremap_path(maps, 'cls1/b.jpg'))
    with pytest.raises(FileNotFoundError, match='1 of 2') as info:
        evaluate_scoremaps(meta, maps)
    assert 'cls1/b.jpg.npy' in str(info.value)
    save_map(maps, 'cls1/b.jpg', box_map(*GT_224))
    save_map(maps, 'other/c.jpg', box_map(*GT_224))
    with pytest.warns(UserWarning, match=r'other/c\.jpg\.npy'):
        res = evaluate_scoremaps(meta, maps)
    assert res['MaxBoxAccV2'] == 100.0
    with pytest.raises(FileNotFoundError, match='folder'):
        check_scoremap_files(maps + '_nowhere', ['a'])


def test_metadata_errors(tmp_path, box_split):
    meta, maps = box_split
    # duplicate image ids
    write_lines(
        osp.join(meta, 'image_ids.txt'),
        ['cls0/a.jpg', 'cls1/b.jpg', 'cls0/a.jpg'],
    )
    with pytest.raises(ValueError, match='duplicate image id'):
        evaluate_scoremaps(meta, maps)
    # an image without any box
    meta2 = write_metadata(
        str(tmp_path / 'meta2'), IMAGES, loc_lines=['cls0/a.jpg,80,60,279,269']
    )
    with pytest.raises(ValueError, match=r'cls1/b\.jpg.*no box'):
        evaluate_scoremaps(meta2, maps)
    # masks asked for box-only metadata
    meta3 = write_metadata(str(tmp_path / 'meta3'), IMAGES)
    with pytest.raises(ValueError, match='2 of 2 images have no GT mask'):
        evaluate_scoremaps(meta3, maps, mask=True)
    with pytest.raises(FileNotFoundError, match='Metadata folder'):
        evaluate_scoremaps(str(tmp_path / 'nowhere'), maps)


# --------------------------------------------------------------------------
# Masks
# --------------------------------------------------------------------------
def write_mask_split(tmp_path, with_ignore=True, fg=True):
    """One 448 x 448 image; instance mask rows/cols 100..299; an ignore band
    rows 300..339, cols 100..299.

    Resized with nearest neighbour (source = 2 * destination), the mask is
    rows/cols 50..149 (10000 pixels) and the band rows 150..169, cols
    50..149 (2000 pixels) of the 224 x 224 map.
    """
    masks = tmp_path / 'masks'
    os.makedirs(masks / 'c', exist_ok=True)
    inst = np.zeros((448, 448), np.uint8)
    if fg:
        inst[100:300, 100:300] = 255
    ignore = np.zeros((448, 448), np.uint8)
    if with_ignore:
        ignore[300:340, 100:300] = 255
    cv2.imwrite(str(masks / 'c' / 'a_inst.png'), inst)
    cv2.imwrite(str(masks / 'c' / 'a_ignore.png'), ignore)
    meta = write_metadata(
        str(tmp_path / 'meta'),
        [('c/a.jpg', 0, (448, 448), [])],
        loc_lines=['c/a.jpg,c/a_inst.png,c/a_ignore.png'],
    )
    maps = tmp_path / 'maps'
    cam = np.zeros((224, 224), np.float32)
    cam[50:150, 50:150] = 1.0  # the object
    cam[150:170, 50:150] = 1.0  # the band: wrong unless ignored
    save_map(maps, 'c/a.jpg', cam)
    return meta, str(maps), str(masks)


def test_mask_pxap_by_hand(tmp_path):
    meta, maps, masks = write_mask_split(tmp_path / 'ign')
    res = evaluate_scoremaps(meta, maps, mask_root=masks)  # masks: auto
    assert res['PxAP'] == pytest.approx(100.0)
    assert res['pIoU'] == pytest.approx(100.0)
    assert 'MaxBoxAccV2' not in res
    # Without the ignore band its 2000 pixels are false positives at every
    # threshold: precision 10000 / 12000 at recall 1 -> PxAP = pIoU = 83.3.
    meta, maps, masks = write_mask_split(tmp_path / 'no', with_ignore=False)
    res = evaluate_scoremaps(meta, maps, mask_root=masks, mask=True)
    assert res['PxAP'] == pytest.approx(100 * 10000 / 12000)
    assert res['pIoU'] == pytest.approx(100 * 10000 / 12000)


def test_mask_errors(tmp_path):
    meta, maps, masks = write_mask_split(tmp_path / 'empty', fg=False)
    with pytest.raises(ValueError, match='No positive'):
        evaluate_scoremaps(meta, maps, mask_root=masks)
    meta, maps, masks = write_mask_split(tmp_path / 'size')
    write_lines(osp.join(meta, 'image_sizes.txt'), ['c/a.jpg,400,448'])
    with pytest.raises(ValueError, match=r'a_inst\.png has size'):
        evaluate_scoremaps(meta, maps, mask_root=masks)


def test_mask_curves_and_plot_round_trip(tmp_path):
    meta, maps, masks = write_mask_split(tmp_path, with_ignore=False)
    curves = tmp_path / 'curves.json'
    res = evaluate_scoremaps(
        meta, maps, mask_root=masks, interval=0.25, curves_file=str(curves)
    )
    data = json.loads(curves.read_text())
    assert data['thresholds'] == [0.0, 0.25, 0.5, 0.75]
    # t = 0 predicts all 224 * 224 pixels; t > 0 the object and the band
    assert data['precision'] == pytest.approx(
        [10000 / 224**2] + [10000 / 12000] * 3
    )
    assert data['recall'] == [1.0] * 4
    assert data['PxAP'] == res['PxAP']
    out = tmp_path / 'plot.png'
    load_tool('plot_curves').main([str(curves), '--out', str(out)])
    image = cv2.imread(str(out))
    assert image.shape == (480, 640, 3)  # one 6.4 x 4.8 in panel, 100 dpi


# --------------------------------------------------------------------------
# Offline == online on the synthetic set
# --------------------------------------------------------------------------
def synthetic_maps(seed, masks):
    """Smooth random maps correlated with the objects, in [0, 1]."""
    rng = np.random.default_rng(seed)
    out = []
    for mask in masks:
        h, w = mask.shape
        noise = cv2.resize(
            rng.random((5, 5)), (w, h), interpolation=cv2.INTER_CUBIC
        )
        cam = 0.2 * (mask == 1) + 0.5 * noise
        cam = cam - cam.min()
        out.append((cam / cam.max()).astype(np.float32))
    return out


def test_offline_equals_online(tmp_path):
    root = str(tmp_path / 'syn')
    generate_synthetic_dataset(
        root,
        num_classes=2,
        num_train=0,
        num_val=0,
        num_test=4,
        image_size=48,
        size_jitter=0.3,
        two_instance_prob=0.5,
        seed=5,
        num_workers=1,
    )
    map_size = (40, 36)  # (H, W): neither the image size nor square
    dataset = DATASETS.build(
        dict(
            type='WSOLDataset',
            data_root=root,
            metadata_dir='metadata/test',
            img_prefix='images',
            mask_file='localization_mask.txt',
            mask_prefix='masks',
            require_localization=True,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadWSOLAnnotations'),
                dict(type='Resize', scale=map_size[::-1], keep_ratio=False),
                dict(type='PackWSOLInputs'),
            ],
        )
    )
    samples = [
        dataset[i]['data_samples'].to_dict() for i in range(len(dataset))
    ]
    cams = synthetic_maps(0, [s['gt_mask'].numpy() for s in samples])
    scoremaps = tmp_path / 'maps'
    for sample, cam in zip(samples, cams):
        sample['gt_cam'] = torch.from_numpy(cam)
        save_map(scoremaps, sample['img_id'], cam)
    assert len({tuple(s['ori_shape']) for s in samples}) > 1

    online = {}
    for cfg in (
        dict(type='WSOLMetric', cam_curve_interval=0.05),
        dict(
            type='WSOLMaskMetric',
            cam_curve_interval=0.05,
            classification=False,
        ),
    ):
        metric = METRICS.build(cfg)
        metric.process(None, samples)
        online.update(metric.compute_metrics(metric.results))
    curves = tmp_path / 'curves.json'
    offline = evaluate_scoremaps(
        osp.join(root, 'metadata', 'test'),
        str(scoremaps),
        mask_root=osp.join(root, 'masks'),
        mask=True,
        interval=0.05,
        map_size=map_size,
        curves_file=str(curves),
    )
    assert offline == online
    assert 0 < online['MaxBoxAccV2'] < 100 and 0 < online['PxAP'] < 100
    # box and mask curves together; the plot then has two panels
    both = json.loads(curves.read_text())
    assert both['box']['num_images'] == both['mask']['num_images'] == 8
    assert both['mask']['PxAP'] == online['PxAP']
    out = tmp_path / 'both.png'
    load_tool('plot_curves').main([str(curves), '--out', str(out)])
    assert cv2.imread(str(out)).shape == (480, 1280, 3)
