"""Shared helpers of the synthetic dataset tests."""

import hashlib
import os
import os.path as osp

import cv2

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'make_synthetic.py')
SMALL = dict(num_classes=3, num_train=4, num_val=3, num_test=3)


def tree_hashes(root):
    """``relative path -> sha256`` of every file under ``root``."""
    hashes = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                hashes[osp.relpath(path, root)] = hashlib.sha256(
                    f.read()
                ).hexdigest()
    return hashes


def read_lines(path):
    with open(path) as f:
        return [line.rstrip('\n') for line in f]


def read_gray(path):
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image
