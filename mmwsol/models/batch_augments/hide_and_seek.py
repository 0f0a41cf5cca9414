"""Hide-and-Seek (Singh and Lee, ICCV 2017) as a batch augmentation."""

from typing import Optional, Tuple

import torch

from mmwsol.registry import BATCH_AUGMENTS


def hide_and_seek_mask(
    batch_size: int,
    height: int,
    width: int,
    grid_size: int,
    drop_rate: float,
    generator: Optional[torch.Generator] = None,
    device: Optional[torch.device] = None,
) -> torch.Tensor:
    """Draw the Hide-and-Seek keep mask of a batch.

    The image is cut into square cells of ``grid_size`` pixels starting at
    the top-left corner (the last row / column of cells is cut at the
    border). Each cell of each image is hidden independently with
    probability ``drop_rate``: wsolevaluation's ``wsol/method/has.py``
    hides a cell when a uniform draw is ``<= drop_rate``; the same rule
    here keeps a cell when its draw is ``> drop_rate``.

    Args:
        batch_size (int): Number of images.
        height (int): Image height in pixels.
        width (int): Image width in pixels.
        grid_size (int): Side of a cell in pixels (wsolevaluation's
            ``--has_grid_size``, default 4).
        drop_rate (float): Probability of hiding a cell, in [0, 1].
        generator (torch.Generator, optional): Random generator; None uses
            torch's global one (saved with checkpoints by ``RNGStateHook``).
        device (torch.device, optional): Device of the mask.

    Returns:
        torch.Tensor: ``(N, 1, H, W)`` float mask, 1 where kept, 0 where
        hidden.
    """
    if grid_size <= 0:
        raise ValueError(f'grid_size must be >= 1, got {grid_size}')
    if not 0 <= drop_rate <= 1:
        raise ValueError(f'drop_rate must be in [0, 1], got {drop_rate}')
    rows = -(-height // grid_size)
    cols = -(-width // grid_size)
    draws = torch.rand(
        (batch_size, 1, rows, cols), generator=generator, device=device
    )
    keep = (draws > drop_rate).float()
    keep = keep.repeat_interleave(grid_size, dim=2)
    keep = keep.repeat_interleave(grid_size, dim=3)
    return keep[:, :, :height, :width]


@BATCH_AUGMENTS.register_module()
class HideAndSeek:
    """Hide random grid cells of each normalised training image.

    Runs in the data preprocessor after normalisation, so a hidden pixel
    becomes 0, i.e. the dataset mean in pixel space -- the fill value of
    the Hide-and-Seek paper and what wsolevaluation does (it zeroes the
    normalised batch before the forward pass). Labels are unchanged.

    Use it through the data preprocessor's ``batch_augments``::

        data_preprocessor = dict(batch_augments=dict(
            augments=dict(type='HideAndSeek', grid_size=4, drop_rate=0.5)))

    For square inputs (the protocol's 224 x 224 crops) the cells equal the
    reference's; the reference's loop swaps height and width for other
    shapes, which this class does not copy.

    Args:
        grid_size (int): Side of a cell in pixels; 0 disables the
            augmentation (wsolevaluation's rule). Defaults to 4
            (wsolevaluation's ``--has_grid_size``).
        drop_rate (float): Probability of hiding a cell. Defaults to 0.5
            (wsolevaluation's ``--has_drop_rate``).
    """

    def __init__(self, grid_size: int = 4, drop_rate: float = 0.5):
        if not isinstance(grid_size, int) or grid_size < 0:
            raise ValueError(
                f'HideAndSeek grid_size must be an int >= 0, got {grid_size!r}'
            )
        if not 0 <= drop_rate <= 1:
            raise ValueError(
                f'HideAndSeek drop_rate must be in [0, 1], got {drop_rate!r}'
            )
        self.grid_size = grid_size
        self.drop_rate = drop_rate

    def __call__(
        self, inputs: torch.Tensor, batch_score: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Hide cells of ``inputs``; ``batch_score`` passes through.

        Args:
            inputs (torch.Tensor): Normalised images ``(N, C, H, W)``.
            batch_score (torch.Tensor): One-hot labels ``(N, K)``.

        Returns:
            tuple: The images with hidden cells and the scores (float).
        """
        if self.grid_size == 0 or self.drop_rate == 0:
            return inputs, batch_score.float()
        n, _, h, w = inputs.shape
        keep = hide_and_seek_mask(
            n, h, w, self.grid_size, self.drop_rate, device=inputs.device
        )
        return inputs * keep.to(inputs.dtype), batch_score.float()

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(grid_size={self.grid_size}, '
            f'drop_rate={self.drop_rate})'
        )
