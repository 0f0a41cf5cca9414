"""CutMix through mmpretrain's batch augmentation: wsolevaluation's rule.

wsolevaluation (``wsol/method/cutmix.py`` + ``main.py``) pastes a box of a
shuffled image and trains with ``lam * CE(a) + (1 - lam) * CE(b)``, with
``lam = 1 - box area / image area`` after clipping the box. mmpretrain's
``CutMix`` (``correct_lam=True``) mixes one-hot labels with the same
corrected ``lam``; CAMHead's soft cross-entropy on them is that loss.
"""

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmwsol.registry import MODELS


def _preprocessor():
    return MODELS.build(
        dict(
            type='ClsDataPreprocessor',
            num_classes=4,
            mean=[0.0, 0.0, 0.0],
            std=[1.0, 1.0, 1.0],
            batch_augments=dict(augments=dict(type='CutMix', alpha=1.0)),
        )
    )


def _batch(n=4, size=32):
    # image i is the constant i + 1: a pasted box is visible exactly
    inputs = [torch.full((3, size, size), float(i + 1)) for i in range(n)]
    samples = [DataSample().set_gt_label(i % 4) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_lam_is_recomputed_from_the_clipped_box_and_the_loss_mixes():
    pre = _preprocessor()
    head = MODELS.build(
        dict(
            type='CAMHead',
            num_classes=4,
            in_channels=8,
            loss=dict(type='CrossEntropyLoss', use_soft=True),
        )
    )
    labels = torch.tensor([0, 1, 2, 3])
    checked = 0
    for seed in range(12):
        np.random.seed(seed)
        torch.manual_seed(seed)
        out = pre(_batch(), training=True)
        imgs = out['inputs'][:, 0]
        scores = torch.stack([s.gt_score for s in out['data_samples']])
        feats = torch.randn(4, 8, 3, 3)
        logits = head(feats)
        ce = -F.log_softmax(logits, 1)  # ce[i, k] = CE(logits_i, k)
        reference = []
        for i in range(4):
            pasted = imgs[i] != i + 1
            area = pasted.float().mean().item()
            if area == 0:
                # nothing pasted or an image pasted onto itself: CE(a)
                reference.append(ce[i, labels[i]])
                continue
            source = int(imgs[i][pasted][0].item()) - 1
            rows = pasted.any(dim=1).nonzero()
            cols = pasted.any(dim=0).nonzero()
            box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
            assert box.item() == pasted.sum().item()  # one rectangle
            lam = 1 - area
            expected = torch.zeros(4)
            expected[labels[i]] += lam
            expected[labels[source]] += 1 - lam
            assert torch.allclose(scores[i], expected, atol=1e-6)
            reference.append(
                lam * ce[i, labels[i]] + (1 - lam) * ce[i, labels[source]]
            )
            checked += 1
        # the head's loss = mean of lam * CE(a) + (1 - lam) * CE(b)
        loss = head.loss((feats,), out['data_samples'])['loss']
        assert torch.allclose(loss, torch.stack(reference).mean(), atol=1e-6)
    assert checked >= 12  # most batches paste something visible
