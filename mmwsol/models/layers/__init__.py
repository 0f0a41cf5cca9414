"""Layers inserted into backbones (see :class:`InsertLayers`)."""

from .adl import ADL, adl, adl_maps

__all__ = ['ADL', 'adl', 'adl_maps']
