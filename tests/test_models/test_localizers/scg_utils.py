"""The SCG tests' shared pieces: a straightforward per-image numpy
implementation of SCG from the paper / authors' description, random
features and a small classifier with an SCG localizer."""

import numpy as np
import torch

from mmwsol.registry import MODELS


def np_hsc(feat, order, fo_th, so_th, so_weight, combination):
    """HSC of one (C, H, W) layer: P x P, column j = correlations with j."""
    c, h, w = feat.shape
    p = h * w
    f = feat.reshape(c, p).T
    f = f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-10)
    s = np.maximum(f @ f.T, 0)
    s[s < fo_th] = 0
    fo = s / (s.sum(axis=0, keepdims=True) + 1e-5)
    a = s.copy()
    np.fill_diagonal(a, 0)
    a = a / (a.sum(axis=0, keepdims=True) + 1e-5)
    so = a.copy()
    for _ in range(order - 1):
        so = so @ a
        so = so / (so.sum(axis=0, keepdims=True) + 1e-10)
    so[so < so_th / p] = 0
    if combination == 'first':
        return fo
    if combination == 'second':
        return so
    m = np.maximum(fo, so_weight * so)
    return m / (m.sum(axis=0, keepdims=True) + 1e-10)


def np_norm(x):
    return (x - x.min()) / (x.max() - x.min() + 1e-10)


def np_scg(
    layers,
    cam,
    order=2,
    fo_th=0.1,
    so_th=0.5,
    so_weight=2.0,
    combination='max',
    obj_th=0.1,
    bg_th=0.05,
    normalized=False,
):
    """SCG of one image and one target: layers [(C, H, W)], cam (H, W)
    (min-max normalised here unless ``normalized``)."""
    hsc = sum(
        np_hsc(f, order, fo_th, so_th, so_weight, combination) for f in layers
    )
    h, w = cam.shape
    v = (cam if normalized else np_norm(cam)).reshape(-1)
    out = []
    for seeds in (np.where(v >= obj_th)[0], np.where(v <= bg_th)[0]):
        if seeds.size == 0:
            out.append(np.zeros(h * w))
            continue
        total = np.zeros(h * w)
        for j in seeds:  # one seed at a time
            col = hsc[:, j]
            total += (col - col.min()) / (col.max() - col.min() + 1e-10)
        out.append(np_norm(total))
    m = out[0] - out[1]
    m = m * (m >= 0)
    return np_norm(m).reshape(h, w)


def np_resize_matrix(n_in, n_out):
    """(n_out, n_in) linear interpolation with half-pixel centres, edges
    clamped (OpenCV's INTER_LINEAR without antialiasing)."""
    r = np.zeros((n_out, n_in))
    for i in range(n_out):
        src = max((i + 0.5) * n_in / n_out - 0.5, 0.0)
        x0 = min(int(np.floor(src)), n_in - 1)
        x1 = min(x0 + 1, n_in - 1)
        lam = src - x0 if x0 < n_in - 1 else 0.0
        r[i, x0] += 1 - lam
        r[i, x1] += lam
    return r


def np_resize(m, size):
    """Bilinear resize of a 2-D array to ``size = (h, w)``."""
    return (
        np_resize_matrix(m.shape[0], size[0])
        @ m
        @ np_resize_matrix(m.shape[1], size[1]).T
    )


def random_feats(n=3, sizes=((6, 7), (6, 7)), channels=(5, 9), seed=0):
    """``n`` images' layers: mostly positive float64 features."""
    g = torch.Generator().manual_seed(seed)
    # mostly positive, like post-ReLU features, with some structure
    return [
        torch.randn(n, c, *s, generator=g, dtype=torch.float64).relu()
        + 0.1 * torch.rand(n, c, *s, generator=g, dtype=torch.float64)
        for c, s in zip(channels, sizes)
    ]


def scg_classifier(head, coarse, **scg):
    """A tiny classifier with an SCG localizer, in eval mode."""
    model = MODELS.build(
        dict(
            type='WSOLClassifier',
            backbone=dict(
                type='TinyWSOLNet',
                stage_channels=(4, 8, 12, 16),
                out_indices=(1, 2, 3),
            ),
            head=head,
            localizer=dict(type='SCG', coarse=coarse, **scg),
            topk_maps=2,
        )
    )
    model.init_weights()
    return model.eval()


HEADS = [
    dict(type='CAMHead', num_classes=5, in_channels=16),
    dict(type='RAMHead', num_classes=5, in_channels=16, mid_channels=8),
]
COARSE = [
    dict(type='CAM'),
    dict(type='CCAM', combination=dict(type='Polynomial', degree=2)),
    dict(type='CCAM', combination=dict(type='TopBottom', top=1, bottom=1)),
]
