"""Backbones for WSOL.

Only what mmpretrain lacks is added here; every mmpretrain backbone stays
usable from configs (e.g. ``ResNet(depth=50, strides=(1, 2, 2, 1))`` for the
WSOL ResNet50 with a 14x14 map at 224 input, ``strides=(1, 2, 1, 1)`` for the
large 28x28 map).
"""

from .insert_layers import InsertLayers  # noqa: F401
from .tiny_wsol_net import TinyWSOLNet
from .wsol_inception_v3 import WSOLInceptionV3
from .wsol_vgg import WSOLVGG

__all__ = ['WSOLVGG', 'WSOLInceptionV3', 'TinyWSOLNet', 'InsertLayers']
