"""Batch augmentations (run by the data preprocessor during training)."""

from .hide_and_seek import HideAndSeek, hide_and_seek_mask

__all__ = ['HideAndSeek', 'hide_and_seek_mask']
