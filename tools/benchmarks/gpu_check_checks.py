"""The checks and the summary of ``tools/benchmarks/gpu_check.py``: pure
functions on logs, metric files and maps."""

import glob
import json
import math
import os.path as osp
from typing import Dict, List, Sequence

NO_CPU_AMP = 'AMP training needs CUDA (MMEngine AmpOptimWrapper)'


def loss_decreases(losses: Sequence[float]) -> Dict[str, object]:
    """Whether the losses are finite and the mean of their last third is
    below the mean of their first third.

    Args:
        losses (Sequence[float]): Logged training losses, in order.

    Returns:
        dict: ``finite``, ``first``, ``last`` (the two means) and ``ok``.
    """
    losses = [float(v) for v in losses]
    finite = bool(losses) and all(math.isfinite(v) for v in losses)
    third = max(len(losses) // 3, 1)
    first = sum(losses[:third]) / third if losses else float('nan')
    last = sum(losses[-third:]) / third if losses else float('nan')
    ok = finite and len(losses) >= 2 and last < first
    return dict(finite=finite, first=first, last=last, n=len(losses), ok=ok)


def read_losses(work_dir: str) -> List[float]:
    """The ``loss`` values of a run's ``vis_data/scalars.json``."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', '*.json')))
    files = [f for f in files if osp.basename(f) == 'scalars.json']
    if not files:
        raise FileNotFoundError(f'no vis_data/scalars.json in {work_dir}')
    losses = []
    with open(files[-1]) as f:
        for line in f:
            entry = json.loads(line)
            if 'loss' in entry:
                losses.append(entry['loss'])
    return losses


def compare_metrics(a: dict, b: dict, tol: float) -> Dict[str, object]:
    """Largest absolute difference of the numeric metrics of two runs."""
    keys = [
        k
        for k in a
        if k in b and isinstance(a[k], (int, float)) and 'time' not in k
    ]
    diffs = {k: abs(float(a[k]) - float(b[k])) for k in keys}
    worst = max(diffs, key=diffs.get) if diffs else None
    return dict(
        max_diff=diffs[worst] if worst else float('nan'),
        worst=worst,
        ok=bool(diffs) and diffs[worst] <= tol,
    )


def map_difference(config: str, checkpoint: str, device: str) -> float:
    """Largest |fp32 - AMP| value of the GT maps over the test set.

    The model runs ``test_step`` on each test batch twice: in float32 and
    under MMEngine's ``autocast`` (what ``tools/test.py --amp`` runs).
    """
    import torch
    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmengine.runner.amp import autocast

    from mmwsol.registry import MODELS
    from mmwsol.utils import register_all_modules
    from mmwsol.utils.checkpoint import load_checkpoint_file

    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(config)
    model_cfg = dict(cfg.model, data_preprocessor=cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    model.load_state_dict(load_checkpoint_file(checkpoint)['state_dict'])
    model = model.to(device).eval()
    loader_cfg = dict(cfg.test_dataloader, num_workers=0)
    loader_cfg.pop('persistent_workers', None)
    loader = Runner.build_dataloader(loader_cfg)
    worst = 0.0
    with torch.no_grad():
        for data in loader:
            # predict fills the batch's samples in place: copy the maps
            ref = [s.gt_cam.float().clone() for s in model.test_step(data)]
            with autocast(device_type=device):
                amp = [s.gt_cam.float() for s in model.test_step(data)]
            for a, b in zip(ref, amp):
                worst = max(worst, float((a - b).abs().max()))
    return worst


def format_summary(summary: dict) -> str:
    """One short text summary of the JSON."""
    steps = summary['steps']
    lines = [
        f'gpu_check: device={summary["device"]} tiny={summary["tiny"]} '
        f'{summary["seconds"]} s, {"PASS" if summary["ok"] else "FAIL"}'
    ]
    for name, r in steps.items():
        status = 'ok' if r.get('ok') else 'FAIL'
        line = f'  {name:<16}{status:<5}{r["seconds"]:>7.1f} s'
        if 'error' in r:
            line += f'  {r["error"]}'
        elif name == 'train':
            for k in ('fp32', 'amp'):
                line += (
                    f'  {k}: skipped (no CUDA)'
                    if 'skipped' in r[k]
                    else f'  {k}: loss {r[k]["first"]:.3f} -> '
                    f'{r[k]["last"]:.3f}'
                )
        elif name == 'test':
            line += (
                f'  AMP vs fp32: metrics max diff '
                f'{r["metrics"]["max_diff"]:.3f} ({r["metrics"]["worst"]}), '
                f'maps max diff {r["maps"]["max_abs_diff"]:.2e}'
            )
        elif name == 'train_speed':
            for key in ('fp32', 'amp'):
                if key not in r:
                    continue
                res = r[key]
                line += f'  {key}: ' + ', '.join(
                    f'{m} {e["images_per_s"]:.0f} img/s'
                    for m, e in res.items()
                )
                line += f' (WSOL x{res["wsol-cam"]["time_x_mmpretrain"]:.2f})'
        elif name == 'localizer_speed':
            for scenario, rows in r['results'].items():
                line += f'\n    {scenario}: ' + ', '.join(
                    f'{n} x{e["x_cam"]:.2f}' for n, e in rows.items()
                )
        lines.append(line)
    return '\n'.join(lines)
