"""Embedded synthetic WSOL dataset ("parts on bodies"), generated from a seed.

Every image shows one object (two instances of the same class with a small
probability) on a cluttered background. An object is

* a **large body** shared by all classes: an irregular blob whose size,
  aspect ratio, slight tilt and position vary, filled with a striped
  "fur" texture whose colours come from one distribution for every class;
* a **small class-discriminative part** drawn inside the body: a shape with a
  class-specific colour and outline (class ``i`` is colour ``i % 8`` and
  shape ``(i + i // 8) % 8``), covering 5-10% of the body area, at a random
  position.

The background is a muted colour gradient with low-frequency noise, random
muted shapes (disks, rings, bars, lines, triangles, striped patches) and a
few small **decoys**: fragments cut from the same body texture that are not
objects. So "body texture = object" is only mostly true, while the body stays
the large connected textured region that a map expanding from the part can
recover. The GT box is the bounding box of the whole object (body + part)
and the GT mask is the whole object. Since only the part tells classes
apart, a plain CAM fires on the part and under-covers the box; methods that
expand the map have something to gain.

Output layout (the community wsolevaluation metadata format)::

    OUT/images/<class_dir>/<split>_<index:06d>.png
    OUT/masks/<class_dir>/<split>_<index:06d>_inst<k>.png   (val and test)
    OUT/masks/<class_dir>/<split>_<index:06d>_ignore.png    (val and test)
    OUT/metadata/<split>/image_ids.txt          path
    OUT/metadata/<split>/class_labels.txt       path,label
    OUT/metadata/<split>/image_sizes.txt        path,w,h
    OUT/metadata/<split>/localization.txt       path,x0,y0,x1,y1 (per box)
    OUT/metadata/<split>/localization_mask.txt  path,mask,ignore (val, test)
    OUT/classes.txt  OUT/meta.json  OUT/README.md

Boxes are integer pixel coordinates, inclusive (``x1 <= w - 1``): the tight
bounding box of the object's mask. Masks are 0/255 PNGs at image size, one
per instance; the first line of an image carries its ignore PNG, the next
instance lines have an empty third field. The ignore PNG marks the band of
``ignore_band`` pixels just outside the object (default 0: the rendering has
hard edges, so there is no ambiguous pixel and the ignore PNG is all zeros).

Determinism: each image is drawn from its own generator seeded by
``(seed, split, class, index)``, so the same arguments give the same bytes
(with the same OpenCV PNG encoder) whatever the number of worker threads,
and adding images to one split never changes the others.

This package needs only numpy and OpenCV (``import mmwsol.synthetic`` pulls
neither torch nor mmpretrain), so that the command line tool
``tools/dataset_converters/make_synthetic.py`` starts fast. Modules:
``spec`` (parameters, classes), ``shapes`` (part shapes, body blobs),
``scene`` (background, texture, clutter, decoys), ``render`` (one image and
its annotations), ``writer`` (a whole set on disk, ``meta.json``),
``preview`` (a picture of a generated set).
"""

from .preview import make_preview_grid
from .render import SyntheticSample, render_sample
from .shapes import mask_to_box
from .spec import (
    GENERATOR_VERSION,
    PART_COLORS,
    PART_SHAPES,
    SPLITS,
    SYNTHETIC_DEFAULTS,
    SyntheticSpec,
    class_dirs,
    class_names,
    resolve_params,
)
from .writer import generate_synthetic_dataset, is_up_to_date

__all__ = [
    'GENERATOR_VERSION',
    'SPLITS',
    'SyntheticSpec',
    'SYNTHETIC_DEFAULTS',
    'SyntheticSample',
    'PART_COLORS',
    'PART_SHAPES',
    'class_names',
    'class_dirs',
    'mask_to_box',
    'render_sample',
    'generate_synthetic_dataset',
    'resolve_params',
    'is_up_to_date',
    'make_preview_grid',
]
