"""CAMVisualizationHook: a 2-iteration test run writes overlays."""

import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmwsol.engine.hooks import CAMVisualizationHook
from mmwsol.engine.hooks import cam_visualization_hook as hook_module
from mmwsol.registry import HOOKS
from mmwsol.visualization.sampling import sample_iou, spread_indices

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
DEMO_CONFIG = osp.join(
    ROOT, 'configs', 'cam', 'cam_tinynet_1xb32_synthetic.py'
)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """3 classes x 2 test images at 40 px."""
    from mmwsol.synthetic import generate_synthetic_dataset

    root = str(tmp_path_factory.mktemp('hookdata'))
    generate_synthetic_dataset(
        root,
        num_classes=3,
        num_train=1,
        num_val=1,
        num_test=2,
        image_size=40,
        seed=5,
    )
    return root


def split_labels(data_root: str) -> dict:
    """Image stem -> class of the test split, read from its metadata."""
    path = osp.join(data_root, 'metadata', 'test', 'class_labels.txt')
    out = {}
    with open(path) as f:
        for line in f:
            img_id, label = line.strip().split(',')
            stem = osp.splitext(img_id)[0].replace('/', '_')
            out[stem] = int(label)
    return out


def tiny_cfg(data_root: str, work_dir: str, hook: dict) -> Config:
    """The demo config shrunk to a test-only run of 2 iterations."""
    cfg = Config.fromfile(DEMO_CONFIG)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadWSOLAnnotations'),
        dict(type='Resize', scale=(32, 32), keep_ratio=False),
        dict(type='PackWSOLInputs'),
    ]
    cfg.test_dataloader.update(batch_size=3, num_workers=0)
    cfg.test_dataloader.pop('persistent_workers', None)
    cfg.test_dataloader.dataset.update(
        data_root=data_root, num_classes=3, classes=None, pipeline=pipeline
    )
    cfg.test_evaluator = dict(type='WSOLMetric', topk=(1,))
    cfg.data_preprocessor.num_classes = 3
    cfg.model.backbone.stage_channels = (4, 8, 8, 16)
    cfg.model.head.update(num_classes=3, in_channels=16, topk=(1,))
    cfg.model.topk_maps = 2
    cfg.work_dir = work_dir
    # a unique name: MMEngine reuses loggers/visualizers by name
    cfg.experiment_name = (
        'hook_' + osp.basename(osp.normpath(work_dir)) + f'_{id(cfg)}'
    )
    cfg.custom_hooks = [hook]
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    for key in (
        'train_dataloader',
        'train_cfg',
        'optim_wrapper',
        'param_scheduler',
        'val_dataloader',
        'val_cfg',
        'val_evaluator',
        'auto_scale_lr',
    ):
        cfg.pop(key, None)
    cfg.default_hooks.pop('checkpoint', None)
    return cfg


def run_test(cfg: Config) -> Runner:
    runner = Runner.from_cfg(cfg)
    runner.test()
    return runner


def test_helpers_dataset_order_is_class_by_class(data_root):
    """The fixture's test split lists each class's images together, so the
    first 3 images cover only 2 classes (what 'first' used to draw)."""
    labels = split_labels(data_root)
    assert sorted(labels.values()) == [0, 0, 1, 1, 2, 2]


def test_hook_is_registered():
    assert HOOKS.get('CAMVisualizationHook') is CAMVisualizationHook


def test_two_iteration_test_run_writes_one_readable_copy(data_root, tmp_path):
    hook = dict(
        type='CAMVisualizationHook', out_dir='vis', max_samples=-1, interval=1
    )
    runner = run_test(tiny_cfg(data_root, str(tmp_path), hook))
    assert len(runner.test_dataloader) == 2  # 6 images, batch size 3
    pngs = sorted(glob.glob(osp.join(str(tmp_path), 'vis', '*.png')))
    assert len(pngs) == 6  # one file per sample
    import cv2

    img = cv2.imread(pngs[0])
    # 32 px inputs upscaled to the readable minimum
    assert img is not None and img.shape == (384, 384, 3)
    # one copy: with out_dir, nothing goes to the visualizer backends
    backend = glob.glob(
        osp.join(str(tmp_path), '*', 'vis_data', 'vis_image', '*.png')
    )
    assert backend == []


def test_without_out_dir_the_backends_get_the_overlays(data_root, tmp_path):
    hook = dict(type='CAMVisualizationHook', max_samples=2)
    run_test(tiny_cfg(data_root, str(tmp_path), hook))
    backend = glob.glob(
        osp.join(str(tmp_path), '*', 'vis_data', 'vis_image', 'test_*.png')
    )
    assert len(backend) == 2


def test_spread_covers_the_classes(data_root, tmp_path):
    hook = dict(type='CAMVisualizationHook', out_dir='vis', max_samples=3)
    run_test(tiny_cfg(data_root, str(tmp_path), hook))
    labels = split_labels(data_root)
    drawn = [
        osp.splitext(osp.basename(p))[0]
        for p in glob.glob(str(tmp_path / 'vis' / '*.png'))
    ]
    assert len(drawn) == 3
    assert sorted(labels[stem] for stem in drawn) == [0, 1, 2]


def test_first_order_and_interval(data_root, tmp_path):
    # every 2nd batch: only batch 0 (3 samples), capped at 2
    hook = dict(
        type='CAMVisualizationHook',
        out_dir=str(tmp_path / 'abs'),
        max_samples=2,
        interval=2,
        order='first',
    )
    run_test(tiny_cfg(data_root, str(tmp_path / 'work'), hook))
    assert len(glob.glob(str(tmp_path / 'abs' / '*.png'))) == 2


def test_all_ranks_gathers_to_rank0(data_root, tmp_path, monkeypatch):
    """Simulated 2-rank run: rank 0 writes its and the other rank's images."""
    other = ([('test', 'from_rank1', np.zeros((8, 8, 3), np.uint8), 0)], [])
    calls = []

    def fake_gather(obj):
        calls.append(len(obj[0]))
        return [obj, other]

    monkeypatch.setattr(hook_module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(hook_module, 'all_gather_object', fake_gather)
    hook = dict(
        type='CAMVisualizationHook',
        out_dir='vis',
        max_samples=4,
        all_ranks=True,
        order='first',
    )
    run_test(tiny_cfg(data_root, str(tmp_path), hook))
    assert calls == [4]  # one gather at the end of the run
    names = sorted(
        osp.basename(p) for p in glob.glob(str(tmp_path / 'vis' / '*.png'))
    )
    assert len(names) == 5 and 'from_rank1.png' in names


class FakeVisualizer:
    def __init__(self):
        self.images = []

    def add_image(self, name, image, step=0):
        self.images.append((name, image.shape, step))


def fake_runner(tmp_path):
    class FakeRunner:
        work_dir = str(tmp_path)
        iter = 7
        visualizer = FakeVisualizer()
        test_dataloader = None

    return FakeRunner()


def gt_sample(index, cam_box, gt_box, size=16):
    """A sample whose GT-class map is 1 inside ``cam_box`` (inclusive)."""
    from mmpretrain.structures import DataSample

    cam = torch.zeros(size, size)
    x0, y0, x1, y1 = cam_box
    cam[y0 : y1 + 1, x0 : x1 + 1] = 1
    sample = (
        DataSample(metainfo=dict(img_id=f'im{index}.png', sample_idx=index))
        .set_gt_label(0)
        .set_pred_score(torch.tensor([0.9, 0.1]))
        .set_pred_label(0)
    )
    sample.set_field(cam, 'gt_cam')
    sample.set_field(torch.tensor([gt_box], dtype=torch.float32), 'gt_bboxes')
    return sample


# GT box 0..7 x 0..7 (64 px); a box and its IoU with it by hand. As the
# map block of a sample, the drawn box is [x0, y0, x1 + 1, y1 + 1]
# (cv2.boundingRect's x + w, the wsolevaluation convention): IoU 64 / 81,
# 40 / 69, 25 / 64, 0, in the same order.
CASES = [
    ((0, 0, 7, 7), 1.0),  # same box
    ((0, 0, 7, 3), 32 / 64),  # half of it
    ((0, 0, 3, 3), 16 / 64),  # a quarter
    ((8, 8, 15, 15), 0.0),  # disjoint
]


@pytest.mark.parametrize(
    'order, expected', [('best', [0, 1, 2]), ('worst', [3, 2, 1])]
)
def test_best_and_worst_are_ordered_by_iou(tmp_path, order, expected):
    hook = CAMVisualizationHook(out_dir='v', max_samples=3, order=order)
    runner = fake_runner(tmp_path)
    hook.before_test_epoch(runner)
    # arrive in a shuffled order, over two batches
    samples = [gt_sample(i, CASES[i][0], (0, 0, 7, 7)) for i in (2, 0, 3, 1)]
    for start in (0, 2):
        batch = dict(inputs=[torch.zeros(3, 16, 16, dtype=torch.uint8)] * 2)
        hook.after_test_iter(runner, start, batch, samples[start : start + 2])
    assert not glob.glob(str(tmp_path / 'v' / '*.png'))  # drawn at the end
    hook.after_test_epoch(runner)
    names = sorted(
        osp.basename(p) for p in glob.glob(str(tmp_path / 'v' / '*.png'))
    )
    assert names == [
        f'{order}{i:02d}_im{k}.png' for i, k in enumerate(expected)
    ]
    assert runner.visualizer.images == []  # out_dir: files only


def test_sample_iou_by_hand():
    for cam_box, iou in CASES:
        got = sample_iou(np.array([cam_box]), np.array([[0, 0, 7, 7]]))
        assert got == pytest.approx(iou)
    # best pair over several boxes; NaN without GT
    assert sample_iou(
        np.array([[8, 8, 15, 15], [0, 0, 7, 3]]), np.array([[0, 0, 7, 7]])
    ) == pytest.approx(0.5)
    assert np.isnan(sample_iou(np.zeros((1, 4)), None))


def test_spread_indices_round_robin():
    labels = [0, 0, 0, 1, 1, 2]
    assert spread_indices(labels, 4) == [0, 3, 5, 1]
    assert spread_indices(labels, -1) == [0, 3, 5, 1, 4, 2]
    assert spread_indices([2, 1], 1) == [1]  # class order, not data order


def test_best_gathers_candidates_of_all_ranks(tmp_path, monkeypatch):
    """The other rank holds the perfect box: it is best00."""
    from mmwsol.visualization.sampling import sample_view

    hook = CAMVisualizationHook(
        out_dir='v', max_samples=1, order='best', all_ranks=True
    )
    other = sample_view(
        np.zeros((16, 16, 3), np.uint8),
        gt_sample(9, (0, 0, 7, 7), (0, 0, 7, 7)),
        hook.box_rule,
    )
    monkeypatch.setattr(hook_module, 'get_world_size', lambda: 2)
    monkeypatch.setattr(
        hook_module, 'all_gather_object', lambda obj: [obj, ([], [other])]
    )
    runner = fake_runner(tmp_path)
    hook.before_test_epoch(runner)
    batch = dict(inputs=[torch.zeros(3, 16, 16, dtype=torch.uint8)])
    hook.after_test_iter(
        runner, 0, batch, [gt_sample(1, CASES[1][0], (0, 0, 7, 7))]
    )
    hook.after_test_epoch(runner)
    names = [osp.basename(p) for p in glob.glob(str(tmp_path / 'v' / '*'))]
    assert names == ['best00_im9.png']


def test_no_gt_uses_top1_map(tmp_path):
    """Without labels the top-1 map is drawn; outputs None are ignored."""
    from mmpretrain.structures import DataSample

    hook = CAMVisualizationHook(out_dir='v', backends=True, order='first')
    runner = fake_runner(tmp_path)
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, None, None)
    cam = torch.zeros(1, 16, 16)
    cam[0, 4:9, 2:12] = 1
    sample = (
        DataSample(metainfo=dict(img_id='a/b.png'))
        .set_pred_score(torch.tensor([0.2, 0.8]))
        .set_pred_label(1)
    )
    sample.set_field(cam, 'pred_cams')
    sample.set_field(torch.tensor([1]), 'pred_cam_labels')
    batch = dict(inputs=[torch.zeros(3, 16, 16, dtype=torch.uint8)])
    hook.after_test_iter(runner, 0, batch, [sample])
    assert runner.visualizer.images == [('test_a_b', (384, 384, 3), 7)]
    assert osp.isfile(osp.join(str(tmp_path), 'v', 'a_b.png'))


@pytest.mark.parametrize(
    'config, box_mode',
    [
        ('configs/cam/cam_tinynet_1xb32_synthetic.py', None),
        ('configs/spa/spa_tinynet_1xb32_synthetic.py', 'union'),
        ('configs/bagcams/bagcams_tinynet_1xb32_synthetic.py', 'all'),
    ],
)
def test_test_tool_draws_with_the_metric_box_rule(
    tmp_path, monkeypatch, config, box_mode
):
    """``tools/test.py --show-dir`` draws with the config's one box rule
    (``box_rule``, the metric's), its box mode included."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        'mmwsol_tools_test', osp.join(ROOT, 'tools', 'test.py')
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(
        sys,
        'argv',
        [
            'test.py',
            osp.join(ROOT, config),
            'none.pth',
            '--work-dir',
            str(tmp_path),
            '--show-dir',
            'vis',
        ],
    )
    cfg = tool.merge_args(
        Config.fromfile(osp.join(ROOT, config)), tool.parse_args()
    )
    hooks = [
        h for h in cfg.custom_hooks if h['type'] == 'CAMVisualizationHook'
    ]
    assert len(hooks) == 1
    assert hooks[0]['box_rule']['box_mode'] == (box_mode or 'largest')
    hook = HOOKS.build(hooks[0])
    assert hook.box_rule.box_mode == (box_mode or 'largest')
