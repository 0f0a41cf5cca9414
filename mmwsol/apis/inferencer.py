"""WSOLInferencer: image(s) -> class scores, maps and boxes, mmpretrain's way.

.. code-block:: python

    from mmwsol.apis import WSOLInferencer

    inferencer = WSOLInferencer('configs/cam/cam_tinynet_1xb32_synthetic.py',
                                'work_dirs/demo/epoch_12.pth')
    result = inferencer('data/synthetic/images/000_red_circle/'
                        'test_000000.png', topk=2)[0]
    result.labels, result.class_names, result.label_scores
    result.maps.shape          # (2, H, W) at the original image size
    result.boxes[0]            # (n, 4) x0, y0, x1, y1 in original pixels
    inferencer('data/synthetic/images', batch_size=16,
               out_dir='work_dirs/overlays', pred_out_dir='work_dirs/preds')

The model runs exactly as in ``tools/test.py`` (``model.test_step`` under
``torch.no_grad``, the config's test pipeline without its annotation
loading), so every method whose ``predict`` fills ``pred_cams`` and
``pred_cam_labels`` (see :class:`~mmwsol.models.WSOLClassifier`) works,
including localizers that need gradients (they enable them themselves).
Boxes follow the config's one box rule (its top-level ``box_rule``, the
rule of the metric's GT-known / Top-1 Loc and of the test overlays), see
:mod:`mmwsol.apis.geometry`.
"""

import os
import os.path as osp
from math import ceil
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpretrain.apis import BaseInferencer

from .geometry import sample_to_result
from .inputs import folder_images
from .model_loading import ModelType, build_localizer, resolve_config
from .pipeline import ImagePipeline
from .result import LocalizationResult

InputType = Union[str, np.ndarray]
#: The call arguments that override the config's box rule.
BOX_RULE_KEYS = ('threshold', 'threshold_standard', 'percentile', 'box_mode')


class WSOLInferencer(BaseInferencer):
    """Classify and localize images with a WSOL model.

    Args:
        model (str | Config): A config file, a :class:`Config`, a config
            name (``cam_tinynet_1xb32_synthetic``) or a metafile model name.
        pretrained (str, optional): Checkpoint file. Loaded with
            ``weights_only=True`` and the allow-list of
            :mod:`mmwsol.utils.checkpoint`, strictly: missing, unexpected or
            mis-shaped keys are an error that lists them. Defaults to None:
            random weights (a warning says so).
        device (str | torch.device, optional): Device. Defaults to CPU.
        cfg_options (dict, optional): Overrides merged into the config
            (``{'box_rule.threshold': 0.3}``), as ``--cfg-options``.
        partial_load (bool): Load only the checkpoint keys that fit and log
            the rest. Defaults to False.
        unsafe_load (bool): Unpickle any object in the checkpoint
            (``weights_only=False``). Only for files you trust: a checkpoint
            can run code when loaded. Defaults to False.

    Attributes:
        model (nn.Module): The model in eval mode; ``model.dataset_meta``
            holds ``classes`` (from the checkpoint, else the dataset
            config, else None).
        config (Config): The config (``--cfg-options`` merged).
        box_rule (BoxRule): The config's box rule.
    """

    preprocess_kwargs = {'names', 'on_error'}
    forward_kwargs = {'topk'}
    visualize_kwargs = {'show', 'wait_time', 'out_dir', 'alpha'}
    postprocess_kwargs = {'pred_out_dir', 'with_maps', *BOX_RULE_KEYS}

    def __init__(
        self,
        model: ModelType,
        pretrained: Optional[str] = None,
        device: Union[str, torch.device, None] = None,
        cfg_options: Optional[dict] = None,
        partial_load: bool = False,
        unsafe_load: bool = False,
    ) -> None:
        from mmwsol.utils import apply_box_rule, merge_cfg_options

        cfg = resolve_config(model)
        merge_cfg_options(cfg, cfg_options)
        # the config's one rule, checked as the tools check it
        self.box_rule = apply_box_rule(cfg)
        self.config = cfg
        self.model = build_localizer(
            cfg, pretrained, device, partial_load, unsafe_load
        )
        self.pipeline = self._init_pipeline(cfg)
        self.visualizer = None

    def _init_pipeline(self, cfg: Config) -> ImagePipeline:
        return ImagePipeline(cfg)

    @property
    def classes(self) -> Optional[List[str]]:
        """The class names, when known."""
        return (getattr(self.model, 'dataset_meta', None) or {}).get('classes')

    def __call__(
        self,
        inputs: Union[InputType, Sequence[InputType]],
        return_datasamples: bool = False,
        batch_size: int = 1,
        progress: bool = False,
        **kwargs,
    ) -> list:
        """Classify and localize images.

        Args:
            inputs (str | np.ndarray | Sequence): An image file, a folder
                (its images, recursively, in sorted order), a BGR uint8
                ``(H, W, 3)`` array (as ``mmcv.imread`` gives), or a list of
                files and arrays.
            return_datasamples (bool): Return the model's data samples
                instead of :class:`LocalizationResult`. Defaults to False.
            batch_size (int): Images per forward pass. Defaults to 1.
            progress (bool): Show a progress line per batch on stderr
                (:mod:`mmwsol.utils.progress`). Defaults to False.
            **kwargs: ``topk`` (maps and box sets per image, default 1);
                ``threshold``, ``threshold_standard``, ``percentile``,
                ``box_mode`` (override the config's box rule);
                ``out_dir`` (write overlays, see :meth:`visualize`),
                ``show``, ``wait_time``, ``alpha``; ``pred_out_dir`` (write
                one JSON per image), ``with_maps``; ``names`` (output names
                per input, for overlays and JSON files); ``on_error`` (a
                callable ``(input, exception)``: skip unreadable images
                instead of raising).

        Returns:
            list[LocalizationResult] | list[DataSample]: One per image read,
            in input order.

        Raises:
            FileNotFoundError | ValueError: An image cannot be read (the
                message names it) and no ``on_error`` was given.
        """
        pre, fwd, vis, post = self._dispatch_kwargs(**kwargs)
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        topk = int(fwd.get('topk', 1))
        if topk < 1:
            raise ValueError(f'topk must be >= 1, got {topk}')
        rule = self.box_rule.replace(
            **{key: post.pop(key) for key in BOX_RULE_KEYS if key in post}
        )
        items, names = self._inputs_and_names(inputs, pre.pop('names', None))
        batches = self.preprocess(items, batch_size, names=names, **pre)
        if progress:
            from mmwsol.utils.progress import track

            batches = track(
                batches, total=ceil(len(items) / batch_size), desc='localize'
            )
        results, samples = [], []
        for data, images, batch_names in batches:
            preds = self.forward(data, topk=topk)
            batch = [
                sample_to_result(p, topk, rule, self.classes) for p in preds
            ]
            self.visualize(images, batch, names=batch_names, **vis)
            self._write_predictions(batch, batch_names, **post)
            results.extend(batch)
            samples.extend(preds)
        return samples if return_datasamples else results

    def _inputs_and_names(self, inputs, names):
        """The input list and an output name per input."""
        if isinstance(inputs, str) and osp.isdir(inputs):
            found = folder_images(inputs)
            items = [path for path, _ in found]
            default = [rel for _, rel in found]
        else:
            items = self._inputs_to_list(inputs)
            default = [
                osp.basename(x) if isinstance(x, str) else f'array_{i:05d}'
                for i, x in enumerate(items)
            ]
        if names is None:
            names = default
        if len(names) != len(items):
            raise ValueError(
                f'names has {len(names)} entries for {len(items)} inputs'
            )
        return items, _unique([n.replace(os.sep, '/') for n in names])

    def preprocess(
        self,
        inputs: list,
        batch_size: int = 1,
        names: Optional[List[str]] = None,
        on_error: Optional[Callable] = None,
    ):
        """Load the images and run the test pipeline, batch by batch.

        Args:
            inputs (list): Image files and arrays.
            batch_size (int): Images per batch.
            names (list[str], optional): Output names per input.
            on_error (Callable, optional): Called as
                ``on_error(input, exception)`` for an unreadable image,
                which is then skipped. Defaults to None: raise.

        Yields:
            tuple[list, list, list]: The pipeline outputs, the original
            images and their names, for one batch.
        """
        names = names or [str(i) for i in range(len(inputs))]
        batch = ([], [], [])
        for image, name in zip(inputs, names):
            try:
                data, original = self.pipeline(image)
            except Exception as error:  # unreadable: skip or raise
                if on_error is None:
                    raise
                on_error(image, error)
                continue
            for part, value in zip(batch, (data, original, name)):
                part.append(value)
            if len(batch[0]) == batch_size:
                yield batch
                batch = ([], [], [])
        if batch[0]:
            yield batch

    @torch.no_grad()
    def forward(self, inputs: list, topk: int = 1) -> list:
        """Run ``model.test_step`` on a batch with ``topk`` maps per image.

        The model's ``topk_maps`` is set for the call and restored after.
        """
        old = getattr(self.model, 'topk_maps', None)
        if old is not None:
            self.model.topk_maps = topk
        try:
            return self.model.test_step(pseudo_collate(inputs))
        finally:
            if old is not None:
                self.model.topk_maps = old

    def visualize(
        self,
        images: List[np.ndarray],
        results: List[LocalizationResult],
        names: Optional[List[str]] = None,
        show: bool = False,
        wait_time: float = 0,
        out_dir: Optional[str] = None,
        alpha: float = 0.5,
    ) -> Optional[List[np.ndarray]]:
        """Draw the overlays of a batch (:func:`draw_localization`).

        Args:
            images (list[np.ndarray]): The original BGR images.
            results (list[LocalizationResult]): Their results.
            names (list[str], optional): Output names; the overlay of name
                ``a/b.jpg`` is ``<out_dir>/a/b.png``.
            show (bool): Show each overlay in a window. Defaults to False.
            wait_time (float): Seconds each window stays (0: a key press).
            out_dir (str, optional): Folder for the overlay PNGs.
            alpha (float): Weight of the heat map. Defaults to 0.5.

        Returns:
            list[np.ndarray] | None: The BGR overlays, None when neither
            ``show`` nor ``out_dir`` asks for them.
        """
        if not show and out_dir is None:
            return None
        import cv2

        from .visualize import draw_localization

        names = names or [str(i) for i in range(len(images))]
        overlays = []
        for image, result, name in zip(images, results, names):
            overlay = draw_localization(image, result, alpha)
            overlays.append(overlay)
            if out_dir is not None:
                path = osp.join(out_dir, osp.splitext(name)[0] + '.png')
                os.makedirs(osp.dirname(path), exist_ok=True)
                cv2.imwrite(path, overlay)
            if show:
                show_image(overlay, name, wait_time)
        return overlays

    def _write_predictions(
        self,
        results: List[LocalizationResult],
        names: List[str],
        pred_out_dir: Optional[str] = None,
        with_maps: bool = False,
    ) -> None:
        """Write ``<pred_out_dir>/<name>.json`` per result."""
        if pred_out_dir is None:
            return
        from mmengine.fileio import dump

        for result, name in zip(results, names):
            path = osp.join(pred_out_dir, osp.splitext(name)[0] + '.json')
            os.makedirs(osp.dirname(path), exist_ok=True)
            dump(result.to_dict(with_maps=with_maps), path, indent=1)

    def postprocess(self, preds, visualization, return_datasamples=False):
        """Unused: :meth:`__call__` converts and writes batch by batch."""
        return preds


def show_image(image: np.ndarray, name: str, wait_time: float) -> None:
    """Show a BGR image in a window (OpenCV) for ``wait_time`` seconds."""
    import cv2

    cv2.imshow(name, image)
    cv2.waitKey(int(wait_time * 1000))


def _unique(names: List[str]) -> List[str]:
    """Make output names unique without their extension (``a.png``,
    ``a.jpg`` -> ``a.png``, ``a_1.jpg``): overlays and JSON files drop it."""
    used, out = set(), []
    for name in names:
        stem, ext = osp.splitext(name)
        candidate, n = stem, 1
        while candidate in used:
            candidate = f'{stem}_{n}'
            n += 1
        used.add(candidate)
        out.append(candidate + ext)
    return out
