"""Offline evaluation of saved score maps (mmwsol.evaluation.offline).

Box numbers are checked against values computed by hand and masks against
hand-computed PxAP; the tool's files and progress output.
"""

import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from offline_utils import (
    GT_224,
    IMAGES,
    box_map,
    load_tool,
    save_map,
    write_lines,
    write_metadata,
)

from mmwsol.evaluation.offline import (
    evaluate_scoremaps,
)


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
