"""Dataset of a split in the WSOL metadata format."""

import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.fileio import join_path
from mmengine.utils import is_abs
from mmpretrain.datasets import BaseDataset

from mmwsol.registry import DATASETS

from .metadata import (
    parse_class_labels,
    parse_image_ids,
    parse_image_sizes,
    parse_localization,
)
from .samplers.sample_rng import seeded_global_rngs
from .transforms.geometry import UNTRACKED_KEY, untracked_transforms


def build_data_list(
    image_ids: Sequence[str],
    labels: Dict[str, int],
    img_root: str,
    mask_root: str,
    sizes: Optional[Dict[str, tuple]] = None,
    boxes: Optional[Dict[str, np.ndarray]] = None,
    mask_paths: Optional[Dict[str, List[str]]] = None,
    ignore_paths: Optional[Dict[str, Optional[str]]] = None,
) -> List[dict]:
    """Combine parsed metadata into one data info dict per image.

    Args:
        image_ids (Sequence[str]): Image ids, in dataset order.
        labels (dict[str, int]): Label of each image id.
        img_root (str): Folder the image ids are relative to.
        mask_root (str): Folder the mask paths are relative to.
        sizes (dict, optional): ``(w, h)`` of (some) image ids.
        boxes (dict, optional): ``(N, 4)`` float32 boxes of (some) image ids.
        mask_paths (dict, optional): Instance mask paths of (some) image ids.
        ignore_paths (dict, optional): Ignore mask path of (some) image ids.

    Returns:
        list[dict]: Data infos with the keys ``img_path``, ``img_id``,
        ``gt_label``, ``gt_bboxes``, ``mask_paths``, ``ignore_path`` and
        ``img_size``.
    """
    sizes = sizes or {}
    boxes = boxes or {}
    mask_paths = mask_paths or {}
    ignore_paths = ignore_paths or {}
    empty_boxes = np.zeros((0, 4), dtype=np.float32)
    data_list = []
    for image_id in image_ids:
        ignore = ignore_paths.get(image_id)
        size = sizes.get(image_id)
        data_list.append(
            dict(
                img_path=join_path(img_root, image_id),
                img_id=image_id,
                gt_label=int(labels[image_id]),
                gt_bboxes=boxes.get(image_id, empty_boxes).copy(),
                mask_paths=[
                    join_path(mask_root, path)
                    for path in mask_paths.get(image_id, [])
                ],
                ignore_path=(join_path(mask_root, ignore) if ignore else None),
                img_size=tuple(size) if size is not None else None,
            )
        )
    return data_list


@DATASETS.register_module()
class WSOLDataset(BaseDataset):
    """A split of a WSOL dataset in the community metadata format.

    The split's metadata folder holds ``image_ids.txt``, ``class_labels.txt``,
    optionally ``image_sizes.txt`` and a localization file of boxes or masks
    (see :mod:`mmwsol.datasets.metadata`). Each item's data info has:

    - ``img_path`` (str): the image id joined to the image root.
    - ``img_id`` (str): the line of ``image_ids.txt``.
    - ``gt_label`` (int): the class label.
    - ``gt_bboxes`` (np.ndarray): float32 (N, 4) pixel-inclusive
      ``x0, y0, x1, y1`` boxes in original image coordinates, (0, 4) when
      the image has none.
    - ``mask_paths`` (list[str]): instance mask paths, ``[]`` when none.
    - ``ignore_path`` (str | None): the ignore mask path.
    - ``img_size`` (tuple | None): ``(w, h)`` from ``image_sizes.txt``.
    - ``sample_idx`` (int): added by MMEngine.

    The metainfo holds ``wsol_untracked_transforms``: the transforms of the
    pipeline whose effect on boxes and masks the metrics cannot follow
    (see :mod:`mmwsol.datasets.transforms.geometry`); the metrics refuse to
    evaluate such a dataset.

    Args:
        data_root (str): Root of the dataset; the relative paths below are
            relative to it.
        metadata_dir (str): The split's metadata folder.
        img_prefix (str): Folder the image ids are relative to.
            Defaults to ''.
        localization_file (str, optional): Boxes or masks (auto-detected),
            relative to ``metadata_dir`` unless absolute. None or a missing
            file means no localization (unless ``require_localization``).
            Defaults to ``'localization.txt'``.
        mask_file (str, optional): An additional mask-format file, relative
            to ``metadata_dir`` unless absolute, for a dataset with boxes in
            ``localization_file`` and masks here. Defaults to None.
        mask_prefix (str): Folder the mask paths are relative to.
            Defaults to ''.
        num_classes (int, optional): Labels must be smaller. Without
            ``classes`` in ``metainfo``, that many names ``class_i`` are
            made. Defaults to None.
        require_localization (bool): If True, the localization file must
            exist and every image must have a box or a mask.
            Defaults to False.
        metainfo (dict, optional): Meta information; ``classes`` gives the
            class names. Without it (and without ``num_classes``) the names
            ``class_0 ... class_{max label}`` are made from the labels, which
            loads the metadata on first access to :attr:`metainfo`.
        pipeline (Sequence): Processing pipeline. Defaults to ().
        test_mode (bool): As in MMEngine. Defaults to False.
        lazy_init (bool): As in MMEngine. Defaults to False.
        indices (int | Sequence[int], optional): As in MMEngine.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``
            (``serialize_data``, ``max_refetch``, ``classes``...).
    """

    #: Indices from :class:`SeededSampler` seed the pipeline's randomness.
    accepts_seeded_index = True

    def __init__(
        self,
        data_root: str,
        metadata_dir: str,
        img_prefix: str = '',
        localization_file: Optional[str] = 'localization.txt',
        mask_file: Optional[str] = None,
        mask_prefix: str = '',
        num_classes: Optional[int] = None,
        require_localization: bool = False,
        metainfo: Optional[dict] = None,
        pipeline: Sequence = (),
        test_mode: bool = False,
        lazy_init: bool = False,
        indices: Optional[Union[int, Sequence[int]]] = None,
        **kwargs,
    ) -> None:
        if num_classes is not None and num_classes <= 0:
            raise ValueError(
                f'num_classes must be positive, got {num_classes}'
            )
        self.num_classes = num_classes
        self.localization_file = localization_file
        self.mask_file = mask_file
        self.require_localization = require_localization
        super().__init__(
            ann_file=metadata_dir,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=dict(img_path=img_prefix, mask_path=mask_prefix),
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            indices=indices,
            **kwargs,
        )
        self._check_classes()
        # the metrics refuse a pipeline whose geometry they cannot follow
        self._metainfo[UNTRACKED_KEY] = untracked_transforms(
            getattr(self.pipeline, 'transforms', [])
        )

    @property
    def metadata_dir(self) -> str:
        """The split's metadata folder (joined with ``data_root``)."""
        return self.ann_file

    @property
    def mask_prefix(self) -> str:
        """The folder the mask paths are relative to."""
        return self.data_prefix['mask_path']

    @property
    def metainfo(self) -> dict:
        """Meta information; loads the metadata if classes are unknown."""
        if 'classes' not in self._metainfo:
            self.full_init()
        return super().metainfo

    def _check_classes(self) -> None:
        """Check or make the class names from ``num_classes``."""
        classes = self._metainfo.get('classes')
        if classes is None:
            if self.num_classes is not None:
                self._metainfo['classes'] = tuple(
                    f'class_{i}' for i in range(self.num_classes)
                )
            return
        if self.num_classes is None:
            self.num_classes = len(classes)
        elif len(classes) != self.num_classes:
            raise ValueError(
                f'{len(classes)} class names given in metainfo, but '
                f'num_classes={self.num_classes}'
            )

    def _metadata_path(self, name: str) -> str:
        """Join a file name to the metadata folder unless it is absolute."""
        if is_abs(name):
            return name
        return join_path(self.metadata_dir, name)

    def load_data_list(self) -> List[dict]:
        """Parse the metadata files of the split.

        Returns:
            list[dict]: One data info per line of ``image_ids.txt``.
        """
        # ``num_classes`` may come from ``classes`` of the metainfo.
        self._check_classes()
        image_ids = parse_image_ids(self._metadata_path('image_ids.txt'))
        labels = parse_class_labels(
            self._metadata_path('class_labels.txt'),
            image_ids,
            self.num_classes,
        )
        sizes_path = self._metadata_path('image_sizes.txt')
        sizes = (
            parse_image_sizes(sizes_path, image_ids)
            if osp.isfile(sizes_path)
            else {}
        )

        localization = self._load_localization(image_ids)
        data_list = build_data_list(
            image_ids,
            labels,
            img_root=self.data_prefix['img_path'],
            mask_root=self.mask_prefix,
            sizes=sizes,
            boxes=localization['boxes'],
            mask_paths=localization['mask_paths'],
            ignore_paths=localization['ignore_paths'],
        )

        if self.require_localization:
            for info in data_list:
                if len(info['gt_bboxes']) == 0 and not info['mask_paths']:
                    raise ValueError(
                        f'Image {info["img_id"]!r} has no box or mask in '
                        f'{self._localization_sources()}, but '
                        'require_localization=True'
                    )
        if 'classes' not in self._metainfo:
            num = max(labels.values()) + 1 if labels else 0
            self._metainfo['classes'] = tuple(f'class_{i}' for i in range(num))
        return data_list

    def _localization_sources(self) -> str:
        """Names of the localization files, for error messages."""
        names = [
            self._metadata_path(name)
            for name in (self.localization_file, self.mask_file)
            if name
        ]
        return ' and '.join(names) or 'no localization file'

    def _load_localization(self, image_ids: Sequence[str]) -> dict:
        """Parse ``localization_file`` and ``mask_file`` into one dict."""
        merged = dict(boxes={}, mask_paths={}, ignore_paths={})
        if self.localization_file is not None:
            path = self._metadata_path(self.localization_file)
            if osp.isfile(path):
                parsed = parse_localization(path, image_ids)
                if parsed['format'] is None and self.require_localization:
                    raise ValueError(
                        f'Localization file {path} has no entries, but '
                        'require_localization=True'
                    )
                merged.update(
                    (key, parsed[key])
                    for key in ('boxes', 'mask_paths', 'ignore_paths')
                )
            elif self.require_localization:
                raise FileNotFoundError(
                    f'Localization file not found: {path} '
                    '(require_localization=True)'
                )
        elif self.require_localization and self.mask_file is None:
            raise ValueError(
                'require_localization=True needs a localization_file'
            )

        if self.mask_file is not None:
            path = self._metadata_path(self.mask_file)
            if not osp.isfile(path):
                raise FileNotFoundError(f'Mask file not found: {path}')
            parsed = parse_localization(path, image_ids)
            if parsed['format'] == 'boxes':
                raise ValueError(
                    f'{path} holds boxes, but mask_file needs mask lines '
                    '"path,mask,ignore"'
                )
            if merged['mask_paths'] and parsed['mask_paths']:
                raise ValueError(
                    f'Masks are given twice: in {self.localization_file} '
                    f'and in mask_file {path}'
                )
            merged['mask_paths'] = parsed['mask_paths']
            merged['ignore_paths'] = parsed['ignore_paths']
        return merged

    def __getitem__(self, idx: int) -> dict:
        """Load and process a sample; an index from :class:`SeededSampler`
        runs the pipeline with the global RNGs seeded from its seed.

        Args:
            idx (int): The index; a ``SeededIndex`` carries the seed of the
                sample's randomness (refetches of a failed sample included).

        Returns:
            dict: The processed sample.
        """
        seed = getattr(idx, 'seed', None)
        if seed is None:
            return super().__getitem__(idx)
        with seeded_global_rngs(seed):
            return super().__getitem__(int(idx))

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return [
            f'Metadata folder: \t{self.metadata_dir}',
            f'Prefix of images: \t{self.img_prefix}',
            f'Localization: \t{self._localization_sources()}',
        ]
