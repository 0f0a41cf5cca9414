"""The boxes of every binarisation level of a uint8 map, computed at once.

The community protocol draws the boxes of a score map at a CAM threshold
with ``cv2.findContours(u8 > level, RETR_TREE, CHAIN_APPROX_SIMPLE)``. A
uint8 map has at most 255 distinct foregrounds ``u8 > level`` and they nest
(a lower level only adds pixels), so instead of tracing contours level by
level this module builds the *component trees* of the map once and reads
the boxes of every requested level from them. The result is identical to
the contour-based definition because the contours OpenCV returns are fully
determined by the digital topology of the foreground (Suzuki & Abe, 1985;
foreground 8-connected, background 4-connected, the image surrounded by
background):

- every 8-connected foreground component has exactly one outer contour,
  which passes through the component's extreme pixels, so its bounding
  rectangle is the bounding box of the component's pixels;
- every 4-connected background component that does not reach the image
  border (a *hole*) has exactly one hole contour, traced on the foreground
  pixels around it; those pixels reach exactly one pixel beyond the hole on
  each side, so its bounding rectangle is the hole's bounding box grown by
  one pixel;
- ``cv2.contourArea`` of an outer contour (a lattice polygon through the
  centres of its border pixels) equals, counted over all 2 x 2 pixel
  windows of the *filled* component (the component with its holes), one
  for every window inside it and one half for every window with three of
  its four pixels inside; a hole contour never encloses more area than its
  component's outer contour, and a component nested in a hole never more
  than the component around it, so the largest contour is always the outer
  contour of a top-level component;
- OpenCV lists top-level contours in the reverse raster order of their
  first pixel, so among equally large ones ``argmax`` keeps the one whose
  first pixel comes last.

The component trees are built without any per-pixel Python loop: pixels
are grouped into *basins* of steepest ascent (each pixel points to its
highest neighbour when that neighbour is higher), the part of a basin above
any level is connected, and the components at a level are the groups of
basins linked by an edge whose *pass value* (the lower of two adjacent
pixels) is above the level -- Kruskal's algorithm over the basin graph,
whose size is the number of local maxima, not of pixels. Every pixel is
then attached to the tree node holding it when it enters (from per-pass-
value snapshots for small trees, by binary lifting for large ones), and the
extent of every component at every level is its own pixels' running extent
joined with its descendants' extents (a range of the tree's pre-order,
answered by a sparse table), all with vectorised numpy. Holes come from the
tree of ``255 - u8`` with 4-connectivity and a frame around the image; the
largest contour from the tree of the map with its holes filled.

The tests compare every box of every level with OpenCV on random maps.
"""

import functools
from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .iou import box_iou, check_gt_boxes

try:  # the compiled sweep (setup.py builds it when a C compiler is there)
    from . import _level_sets
except ImportError:  # pragma: no cover - depends on the installation
    _level_sets = None

#: Implementations of :func:`level_best_ious`.
IMPLEMENTATIONS = ('auto', 'compiled', 'numpy')


#: Box modes the compiled sweeps serve ('union' is cheap in numpy).
COMPILED_MODES = ('all', 'largest')


#: Largest height and width of a map the compiled sweeps take (their pixel
#: coordinates are packed in int32); larger maps take the numpy path.
COMPILED_MAX_SIDE = 32767


def has_compiled_sweep() -> bool:
    """Whether the compiled sweeps of box modes ``'all'`` and ``'largest'``
    are installed."""
    return _level_sets is not None


def compiled_sweep_fits(shape: Sequence[int]) -> bool:
    """Whether a map of this ``(H, W)`` shape is within the compiled sweeps'
    size limit (:data:`COMPILED_MAX_SIDE` on each side)."""
    return all(0 < int(side) <= COMPILED_MAX_SIDE for side in shape[:2])


BOX_MODES = ('all', 'largest', 'union')
# largest basins x pass values for which the merge tree keeps a snapshot of
# every basin's node at every pass value
_SNAPSHOT_BUDGET = 1 << 17

_NEIGHBOURS = {
    8: ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)),
    4: ((-1, 0), (0, -1), (0, 1), (1, 0)),
}
# one offset of each neighbouring pair
_FORWARD = {8: ((0, 1), (1, -1), (1, 0), (1, 1)), 4: ((0, 1), (1, 0))}


def _ascent_basins(
    values: np.ndarray, connectivity: int
) -> Tuple[np.ndarray, np.ndarray]:
    """Group the pixels of a uint8 image into ascent basins.

    Each pixel points to its highest neighbour if that neighbour is strictly
    higher, else to an equal neighbour earlier in raster order (so that a
    plateau mostly forms one basin), else to itself; a basin is a tree of
    pointers. Values never decrease towards the root, so the pixels of a
    basin above any level form a connected set holding the root, and the
    root holds the basin's highest value.

    Args:
        values (np.ndarray): (H, W) uint8 image.
        connectivity (int): 8 or 4.

    Returns:
        tuple[np.ndarray, np.ndarray]: int64 basin of each pixel (H * W, )
        and int64 top value of each basin (B, ).
    """
    height, width = values.shape
    size = height * width
    offsets = _NEIGHBOURS[connectivity]
    best = values.copy()
    code = np.zeros((height, width), dtype=np.int8)
    for k, (dy, dx) in enumerate(offsets, start=1):
        here, there = _overlap(height, width, dy, dx)
        neighbour, current = values[there], best[here]
        higher = neighbour > current
        np.maximum(current, neighbour, out=current)
        np.copyto(code[here], k, where=higher)
    # no higher neighbour: point to an equal one earlier in raster order
    top_here = code == 0
    for k, (dy, dx) in enumerate(offsets, start=1):
        if (dy, dx) >= (0, 0):
            continue
        here, there = _overlap(height, width, dy, dx)
        equal = values[there] == values[here]
        equal &= top_here[here]
        np.copyto(code[here], k, where=equal)
        top_here[here] &= ~equal
    steps = np.array(
        [0] + [dy * width + dx for dy, dx in offsets], dtype=np.int32
    )
    pointer = np.arange(size, dtype=np.int32) + steps[code.ravel()]
    while True:  # pointer jumping: O(log longest path) rounds
        jumped = pointer[pointer]
        jumped = jumped[jumped]
        if np.array_equal(jumped, pointer):
            break
        pointer = jumped
    is_root = top_here.ravel()
    root_index = np.cumsum(is_root, dtype=np.int64) - 1
    basin = root_index[pointer]
    top = values.ravel()[is_root].astype(np.int64)
    return basin, top


def _overlap(
    height: int, width: int, dy: int, dx: int
) -> Tuple[Tuple[slice, slice], Tuple[slice, slice]]:
    """Slices of the pixels having a neighbour at ``(dy, dx)``, and of
    those neighbours."""
    ys = slice(max(0, -dy), height - max(0, dy))
    xs = slice(max(0, -dx), width - max(0, dx))
    ys2 = slice(ys.start + dy, ys.stop + dy)
    xs2 = slice(xs.start + dx, xs.stop + dx)
    return (ys, xs), (ys2, xs2)


def _basin_edges(
    values: np.ndarray,
    basin: np.ndarray,
    num_basins: int,
    connectivity: int,
    with_frame: bool,
) -> Tuple[List[int], ...]:
    """The pass value of every pair of adjacent basins, highest first.

    Args:
        values (np.ndarray): (H, W) uint8 image.
        basin (np.ndarray): (H * W, ) basin of each pixel.
        num_basins (int): Number of basins B.
        connectivity (int): 8 or 4.
        with_frame (bool): Add node ``B``, the frame around the image,
            linked to every border pixel with the pixel's value as pass
            value.

    Returns:
        tuple[list[int], list[int], list[int]]: Pass values (descending) and
        the two nodes of each edge.
    """
    height, width = values.shape
    parts_key, parts_w = [], []
    flat_values = values.ravel()
    column = _pixel_grid(height, width)[0]
    num_nodes = num_basins + 1
    for dy, dx in _FORWARD[connectivity]:
        # pairs (p, p + step) in raster order, minus those wrapping a row
        step = dy * width + dx
        if step >= basin.size:
            continue
        differ = basin[: basin.size - step] != basin[step:]
        if dx == 1:
            differ &= column[: basin.size - step] != width - 1
        elif dx == -1:
            differ &= column[: basin.size - step] != 0
        p = np.flatnonzero(differ)
        q = p + step
        a, b = basin[p], basin[q]
        parts_key.append(np.minimum(a, b) * num_nodes + np.maximum(a, b))
        parts_w.append(np.minimum(flat_values[p], flat_values[q]))
    if with_frame:
        border = np.zeros((height, width), dtype=bool)
        border[[0, -1], :] = True
        border[:, [0, -1]] = True
        parts_key.append(
            basin.reshape(height, width)[border] * num_nodes + num_basins
        )
        parts_w.append(values[border])
    # keep the highest pass value of each pair, then order by pass value
    keyed = np.concatenate(parts_key) * 256
    keyed += 255 - np.concatenate(parts_w)
    if keyed.size == 0:
        return [], [], []
    keyed.sort()
    first = np.ones(keyed.size, dtype=bool)
    np.not_equal(keyed[1:] >> 8, keyed[:-1] >> 8, out=first[1:])
    keyed = keyed[first]
    drop = (keyed & 255).astype(np.uint8)  # 255 - pass value
    keyed = keyed[np.argsort(drop, kind='stable')]  # radix sort
    lo, hi = np.divmod(keyed >> 8, num_nodes)
    return (255 - (keyed & 255)).tolist(), lo.tolist(), hi.tolist()


class _Dendrogram(NamedTuple):
    """The merge tree of the basins (Kruskal's algorithm, highest first).

    Nodes ``0 .. B - 1`` are the basins, node ``B`` the frame when there is
    one, later nodes the merges. A node is a component of every level ``v``
    with ``death <= v < birth``.

    Attributes:
        birth (np.ndarray): (N, ) top value of a basin, pass value of a
            merge (256 for the frame).
        death (np.ndarray): (N, ) birth of the parent, -1 for a root.
        parent (np.ndarray): (N, ) parent node, -1 for a root.
        lo (np.ndarray): (N, ) position of the node's first leaf in an order
            of the leaves where every node's leaves are contiguous.
        size (np.ndarray): (N, ) number of leaves under the node.
        snapshot (np.ndarray | None): (S, B) the node holding each basin:
            row 0 before any merge, row ``k`` after the merges of pass value
            ``>= snapshot_weight[k - 1]``; None for large trees.
        snapshot_weight (np.ndarray): (S - 1, ) decreasing pass values.
        frame_join (np.ndarray | None): (B, ) pass value at which each basin
            joined the frame, -1 if not above the lowest level.
    """

    birth: np.ndarray
    death: np.ndarray
    parent: np.ndarray
    lo: np.ndarray
    size: np.ndarray
    snapshot: Optional[np.ndarray]
    snapshot_weight: np.ndarray
    frame_join: Optional[np.ndarray]


def _kruskal(
    top: np.ndarray,
    edges: Tuple[List[int], ...],
    lowest: int,
    with_frame: bool,
) -> _Dendrogram:
    """Merge the basins along edges of decreasing pass value.

    Only pass values above ``lowest`` (the lowest level read) matter.
    Clusters merge small into large, so each basin is relabelled O(log B)
    times and the Python work is O(edges + B log B).

    Args:
        top (np.ndarray): (B, ) top value of each basin.
        edges (tuple): From :func:`_basin_edges`.
        lowest (int): The lowest level that will be read.
        with_frame (bool): Whether node ``B`` is the frame.

    Returns:
        _Dendrogram: The merge tree.
    """
    num_basins = len(top)
    num_leaves = num_basins + int(with_frame)
    frame = num_basins if with_frame else -1
    owner = list(range(num_leaves))  # leaf -> representative leaf
    members: List[List[int]] = [[i] for i in range(num_leaves)]
    node_of = list(range(num_leaves))  # representative -> current node
    # per merge: pass value, the two nodes merged, first leaf, size
    merges: List[int] = []
    # the node of every basin is materialised only at each new pass value
    node_array = np.arange(num_leaves)
    snapshots = [np.arange(num_basins)]
    snapshot_weight = []
    dirty: List[int] = []  # representatives whose node changed
    relabelled: List[int] = []  # leaves whose representative changed
    cluster = np.arange(num_leaves)  # leaf -> representative

    def take_snapshot() -> np.ndarray:
        if relabelled:
            cluster[relabelled] = [owner[leaf] for leaf in relabelled]
            relabelled.clear()
        node_array[dirty] = [node_of[rep] for rep in dirty]
        dirty.clear()
        return node_array[cluster[:num_basins]]

    # snapshots cost O(B) per pass value; without them the node of a basin
    # at a level is found by climbing the tree (see _node_at)
    weights = edges[0]
    with_snapshots = num_basins * len(set(weights)) <= _SNAPSHOT_BUDGET
    add_merge, add_dirty = merges.extend, dirty.append
    add_relabelled = relabelled.extend
    new = num_leaves
    current = None
    for weight, end_a, end_b in zip(*edges):
        if weight <= lowest:
            break
        if weight != current:
            if with_snapshots and dirty:
                snapshots.append(take_snapshot())
                snapshot_weight.append(current)
            current = weight
        ra = owner[end_a]
        rb = owner[end_b]
        if ra == rb:
            continue
        big = members[ra]
        small = members[rb]
        if len(big) < len(small):
            ra, rb, big, small = rb, ra, small, big
        add_merge(
            (weight, node_of[ra], node_of[rb], big[0], len(big) + len(small))
        )
        for leaf in small:
            owner[leaf] = ra
        add_relabelled(small)
        big.extend(small)
        members[rb] = []
        node_of[ra] = new
        add_dirty(ra)
        new += 1
    if with_snapshots and dirty:
        snapshots.append(take_snapshot())
        snapshot_weight.append(current)

    record = np.array(merges, dtype=np.int64).reshape(-1, 5)
    num_nodes = num_leaves + len(record)
    birth = np.concatenate(
        [top, np.full(int(with_frame), 256, np.int64), record[:, 0]]
    )
    parent = np.full(num_nodes, -1, dtype=np.int64)
    parent[record[:, 1]] = np.arange(num_leaves, num_nodes)
    parent[record[:, 2]] = np.arange(num_leaves, num_nodes)
    first = np.concatenate([np.arange(num_leaves), record[:, 3]])
    size = np.concatenate([np.ones(num_leaves, np.int64), record[:, 4]])
    death = np.where(parent >= 0, birth[parent], -1)
    leaf_order = [leaf for group in members for leaf in group]
    position = np.empty(num_leaves, dtype=np.int64)
    position[leaf_order] = np.arange(num_leaves)
    lo = position[first]
    frame_join = None
    if with_frame:
        frame_join = _frame_join(parent, birth, lo, size, position, frame)
    return _Dendrogram(
        birth=birth,
        death=death,
        parent=parent,
        lo=lo,
        size=size,
        snapshot=np.stack(snapshots) if with_snapshots else None,
        snapshot_weight=np.asarray(snapshot_weight, dtype=np.int64),
        frame_join=frame_join,
    )


def _frame_join(
    parent: np.ndarray,
    birth: np.ndarray,
    lo: np.ndarray,
    size: np.ndarray,
    position: np.ndarray,
    frame: int,
) -> np.ndarray:
    """The pass value at which each basin joins the frame's component.

    That is the birth of the lowest ancestor of the frame that also holds
    the basin. The frame's ancestors hold nested leaf ranges, growing on the
    left and on the right, so a binary search on each side finds it.

    Returns:
        np.ndarray: (B, ) int64, -1 for basins never joined.
    """
    chain = [frame]
    while parent[chain[-1]] >= 0:
        chain.append(int(parent[chain[-1]]))
    chain = np.asarray(chain, dtype=np.int64)
    left = lo[chain]  # non-increasing
    right = lo[chain] + size[chain]  # non-decreasing
    where = position[:frame]
    # first chain node reaching the basin's position
    k_left = np.searchsorted(-left, -where, side='left')
    k_right = np.searchsorted(right, where, side='right')
    k = np.where(where < position[frame], k_left, k_right)
    joined = k < chain.size
    result = np.full(frame, -1, dtype=np.int64)
    result[joined] = birth[chain[k[joined]]]
    return result


def _node_at(
    tree: '_Dendrogram', leaf: np.ndarray, value: np.ndarray
) -> np.ndarray:
    """The node holding each leaf at level ``value - 1``.

    That is the highest ancestor of the leaf born at or above ``value``
    (births never increase towards the root): read from the snapshots when
    the tree has them, else found by binary lifting.

    Args:
        tree (_Dendrogram): The merge tree.
        leaf (np.ndarray): (n, ) basins.
        value (np.ndarray): (n, ) values in [1, 255].

    Returns:
        np.ndarray: (n, ) int64 nodes.
    """
    if tree.snapshot is not None:
        step_of_value = np.searchsorted(
            -tree.snapshot_weight, -np.arange(257), side='right'
        )
        return tree.snapshot[step_of_value[value], leaf]
    node = leaf.astype(np.int64)
    # most entries either still sit in their basin or climb: only those are
    # lifted, from the basin's parent up
    parent = tree.parent[node]
    climb = np.flatnonzero((parent >= 0) & (tree.birth[parent] >= value))
    if not climb.size:
        return node
    nodes = np.arange(tree.birth.size)
    up = np.where(tree.parent >= 0, tree.parent, nodes)
    jumps = [up]
    for _ in range(max(1, int(tree.birth.size).bit_length()) - 1):
        jumps.append(jumps[-1][jumps[-1]])
    current, need = parent[climb], value[climb]
    for up in reversed(jumps):
        candidate = up[current]
        np.copyto(current, candidate, where=tree.birth[candidate] >= need)
    node[climb] = current
    return node


def _sort_with_index(keys: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Sort non-negative int64 keys and return the permutation too.

    The position rides in the low bits, so a single ``np.sort`` (much
    faster than ``np.argsort``) does both; keys must leave room for it.
    """
    shift = max(1, int(max(keys.size, 1) - 1).bit_length())
    packed = np.sort((keys << shift) | np.arange(keys.size, dtype=np.int64))
    return packed >> shift, packed & ((1 << shift) - 1)


def _segments(
    sorted_ids: np.ndarray, num_ids: int
) -> Tuple[np.ndarray, np.ndarray]:
    """Start and stop of each id's run in a sorted id array (empty runs
    have ``start == stop``)."""
    counts = np.bincount(sorted_ids, minlength=num_ids)
    stop = np.cumsum(counts)
    return stop - counts, stop


def _range_min(
    values: np.ndarray, starts: np.ndarray, stops: np.ndarray
) -> np.ndarray:
    """Column-wise minimum of ``values[start:stop]`` for many ranges.

    A sparse table: O(N log N) to build, O(1) per range.

    Args:
        values (np.ndarray): (N, k) integer values.
        starts (np.ndarray): (Q, ) range starts.
        stops (np.ndarray): (Q, ) range stops, ``>= starts``.

    Returns:
        np.ndarray: (Q, k); the dtype's maximum for empty ranges.
    """
    empty = np.iinfo(values.dtype).max
    result = np.full((starts.size, values.shape[1]), empty, values.dtype)
    length = stops - starts
    nonempty = np.flatnonzero(length > 0)
    if not nonempty.size:
        return result
    table = np.full(
        (max(1, int(length.max()).bit_length()),) + values.shape,
        empty,
        values.dtype,
    )
    table[0] = values
    for k in range(1, table.shape[0]):
        half = 1 << (k - 1)
        np.minimum(
            table[k - 1, :-half], table[k - 1, half:], out=table[k, :-half]
        )
    length = length[nonempty]
    k = np.log2(length).astype(np.int64)
    # float log2 of a power of two is exact; guard the rounding anyway
    k[(1 << k) > length] -= 1
    k[(2 << k) <= length] += 1
    start = starts[nonempty]
    result[nonempty] = np.minimum(
        table[k, start], table[k, stops[nonempty] - (1 << k)]
    )
    return result


def _segmented_running_min(
    offset: np.ndarray, coord: np.ndarray
) -> np.ndarray:
    """Running minimum of ``coord`` restarting at each segment.

    ``offset`` is ``segment * span`` with a non-decreasing segment id and a
    ``span`` beyond the range of ``coord``, so earlier segments cannot leak
    into later ones.
    """
    running = np.maximum.accumulate(offset - coord)
    np.subtract(offset, running, out=running)
    return running


@functools.lru_cache(maxsize=8)
def _pixel_grid(height: int, width: int) -> Tuple[np.ndarray, np.ndarray]:
    """Column and row of every pixel (int32, read-only, cached)."""
    ys, xs = np.divmod(np.arange(height * width, dtype=np.int32), width)
    xs.flags.writeable = False
    ys.flags.writeable = False
    return xs, ys


class _LevelComponents(NamedTuple):
    """The components of each level of a uint8 image.

    Attributes:
        level (np.ndarray): (C, ) index into the levels of each component,
            non-decreasing.
        x0, y0, x1, y1 (np.ndarray): (C, ) inclusive pixel extents.
        first (np.ndarray | None): (C, ) raster index of the first pixel.
        area2 (np.ndarray | None): (C, ) twice the outer contour area.
    """

    level: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    first: Optional[np.ndarray]
    area2: Optional[np.ndarray]


class _Tree(NamedTuple):
    """An image, its basins and their merge tree.

    Attributes:
        values (np.ndarray): (H, W) uint8 image.
        basin (np.ndarray): (H * W, ) basin of each pixel.
        num_basins (int): Number of basins B.
        dendrogram (_Dendrogram): The merge tree.
        lowest (int): The lowest level the tree can be read at.
        with_frame (bool): Whether node B is the frame.
    """

    values: np.ndarray
    basin: np.ndarray
    num_basins: int
    dendrogram: _Dendrogram
    lowest: int
    with_frame: bool


def _build_tree(
    values: np.ndarray, connectivity: int, lowest: int, with_frame: bool
) -> _Tree:
    """Basins and merge tree of the level sets ``{values > v}``, ``v >=
    lowest``.

    Args:
        values (np.ndarray): (H, W) uint8 image.
        connectivity (int): 8 or 4.
        lowest (int): The lowest level that will be read.
        with_frame (bool): Surround the image with a frame that belongs to
            every level (for background components: those joined to the
            frame touch the border).

    Returns:
        _Tree: The tree.
    """
    basin, top = _ascent_basins(values, connectivity)
    edges = _basin_edges(values, basin, top.size, connectivity, with_frame)
    dendrogram = _kruskal(top, edges, lowest, with_frame)
    return _Tree(values, basin, top.size, dendrogram, lowest, with_frame)


def _level_components(
    tree: _Tree, levels: np.ndarray, with_area: bool = False
) -> _LevelComponents:
    """The components of ``{values > v}`` for every level ``v``.

    Every pixel is attached to the tree node that holds it at the level it
    enters (``value - 1``); a component's extent at a level is then the
    running extent of its own pixels above the level joined with the full
    extents of all its descendants (a range of the tree's pre-order). With
    a frame, the components holding it are left out.

    Args:
        tree (_Tree): From :func:`_build_tree`.
        levels (np.ndarray): Strictly increasing int64 levels in
            ``[tree.lowest, 254]``.
        with_area (bool): Also compute the first pixel and the outer contour
            area of each component (8-connectivity). Defaults to False.

    Returns:
        _LevelComponents: The components.
    """
    values, basin, num_basins = tree.values, tree.basin, tree.num_basins
    with_frame, lowest = tree.with_frame, tree.lowest
    tree = tree.dendrogram
    height, width = values.shape
    size = height * width
    flat = values.ravel()
    num_nodes = tree.birth.size

    node_ids = np.arange(num_nodes)
    # nodes that hold the frame (the background touching the border) are
    # left out, and so are the pixels attached to them
    holds_frame = np.zeros(num_nodes, dtype=bool)
    if with_frame:
        frame_position = tree.lo[num_basins]
        holds_frame = (tree.lo <= frame_position) & (
            frame_position < tree.lo + tree.size
        )

    def attach(
        entry_values: np.ndarray, entry_basin: np.ndarray, entry_id: np.ndarray
    ):
        """Sort entries by (node at their entry level, value descending)."""
        if with_frame:
            # entries whose basin has joined the frame when they enter
            keep = tree.frame_join[entry_basin] < entry_values
            entry_values, entry_basin, entry_id = (
                entry_values[keep],
                entry_basin[keep],
                entry_id[keep],
            )
        node = _node_at(tree, entry_basin, entry_values)
        node <<= 8
        node += 255
        node -= entry_values
        keys, order = _sort_with_index(node)
        return keys, entry_id[order]

    if flat.min() > lowest:  # every pixel enters
        keys, pixel = attach(flat.astype(np.int64), basin, np.arange(size))
    else:
        entered = np.flatnonzero(flat > lowest)
        keys, pixel = attach(
            flat[entered].astype(np.int64), basin[entered], entered
        )
    sorted_node = keys >> 8
    seg_start, seg_stop = _segments(sorted_node, num_nodes)

    # the components: (node, level) with death <= level < birth, levels
    # descending within a node so that the searches below run in order
    index_of = np.searchsorted(levels, np.arange(-1, 258), side='left')
    lo_level = index_of[tree.death + 1]
    hi_level = index_of[tree.birth + 1]
    alive = np.maximum(hi_level - lo_level, 0)
    alive[holds_frame] = 0
    comp_node = np.repeat(node_ids, alive)
    comp_level = (
        hi_level[comp_node]
        - 1
        - (
            np.arange(comp_node.size)
            - np.repeat(np.cumsum(alive) - alive, alive)
        )
    )
    comp_value = levels[comp_level]
    # last own pixel above the level (if any)
    last = np.searchsorted(keys, comp_node * 256 + (255 - comp_value)) - 1
    has_own = last >= seg_start[comp_node]
    has_any = seg_stop > seg_start

    # pre-order of the tree: every subtree is a contiguous range
    _, preorder = _sort_with_index(
        tree.lo * (num_nodes + 1) + (num_nodes - tree.size)
    )
    rank = np.empty(num_nodes, dtype=np.int64)
    rank[preorder] = np.arange(num_nodes)
    sub_start = rank[comp_node] + 1
    sub_stop = rank[comp_node] + 2 * tree.size[comp_node] - 1

    small = (
        np.int32 if num_nodes * (max(height, width) + 1) < 2**31 else np.int64
    )
    sorted_node = sorted_node.astype(small)
    grid_x, grid_y = _pixel_grid(height, width)
    xs, ys = grid_x[pixel], grid_y[pixel]
    offset_x = sorted_node * small(width + 1)
    offset_y = sorted_node * small(height + 1)
    # extents as minima: x0, y0, -x1, -y1 (and the first pixel)
    coords = [(xs, offset_x), (ys, offset_y), (-xs, offset_x), (-ys, offset_y)]
    if with_area:
        coords.append((pixel, sorted_node.astype(np.int64) * (size + 1)))
    # the extents fit in int32 (|coordinate| <= H * W)
    full = np.empty((num_nodes, len(coords)), dtype=np.int32)
    own = np.empty((comp_node.size, len(coords)), dtype=np.int32)
    empty = np.iinfo(np.int32).max
    full[~has_any] = empty
    own[~has_own] = empty
    node_end = seg_stop[has_any] - 1
    own_last = last[has_own]
    for k, (coord, offset) in enumerate(coords):
        running = _segmented_running_min(offset, coord)
        full[has_any, k] = running[node_end]
        own[has_own, k] = running[own_last]
    inherited = _range_min(full[preorder], sub_start, sub_stop)
    extents = np.minimum(own, inherited).astype(np.int64)
    area2 = None
    if with_area:
        area2 = _contour_area2(
            values,
            basin,
            comp_node,
            comp_value,
            rank,
            sub_start,
            sub_stop,
            lowest,
            attach,
        )
    return _LevelComponents(
        level=comp_level,
        x0=extents[:, 0],
        y0=extents[:, 1],
        x1=-extents[:, 2],
        y1=-extents[:, 3],
        first=extents[:, 4] if with_area else None,
        area2=area2,
    )


def _contour_area2(
    values: np.ndarray,
    basin: np.ndarray,
    comp_node: np.ndarray,
    comp_value: np.ndarray,
    rank: np.ndarray,
    sub_start: np.ndarray,
    sub_stop: np.ndarray,
    lowest: int,
    attach,
) -> np.ndarray:
    """Twice the outer contour area of each component.

    A 2 x 2 window with three pixels above the level adds one half to the
    contour area, with four pixels one (the contour polygon runs through
    pixel centres and cuts a missing corner diagonally); the pixels of a
    window above a level all belong to the component of its highest pixel.
    So each window gives two half-unit items attached to its highest
    pixel's basin, one alive below its second lowest value and one below
    its lowest value, counted like pixels.
    """
    height, width = values.shape
    num_nodes = rank.size
    if height < 2 or width < 2:
        return np.zeros(comp_node.size, dtype=np.int64)
    b = basin.reshape(height, width)
    c00, c01 = values[:-1, :-1], values[:-1, 1:]
    c10, c11 = values[1:, :-1], values[1:, 1:]
    lo1, hi1 = np.minimum(c00, c01), np.maximum(c00, c01)
    lo2, hi2 = np.minimum(c10, c11), np.maximum(c10, c11)
    low = np.minimum(lo1, lo2)
    second = np.minimum(np.maximum(lo1, lo2), np.minimum(hi1, hi2))
    # below `low` all four pixels are in, any of them names the component;
    # below `second` the higher of the top two pixels (>= second) is in
    low_owner = b[:-1, :-1]
    second_owner = np.where(c00 >= c01, b[:-1, :-1], b[:-1, 1:])
    item_value = np.concatenate([low.ravel(), second.ravel()]).astype(np.int64)
    item_basin = np.concatenate([low_owner.ravel(), second_owner.ravel()])
    keep = np.flatnonzero(item_value > lowest)
    keys, _ = attach(item_value[keep], item_basin[keep], keep)
    start, stop = _segments(keys >> 8, num_nodes)
    total = stop - start
    own = (
        np.searchsorted(keys, comp_node * 256 + (255 - comp_value))
        - start[comp_node]
    )
    by_rank = np.zeros(num_nodes + 1, dtype=np.int64)
    by_rank[1:] = np.cumsum(total[np.argsort(rank)])
    return own + by_rank[sub_stop] - by_rank[sub_start]


def _filled_map(
    scoremap_u8: np.ndarray,
    background_basin: np.ndarray,
    frame_join: np.ndarray,
    highest_level: int,
) -> np.ndarray:
    """The map with the holes of every level filled.

    At level ``v`` a pixel is outside every filled component iff it is
    background (``u8 <= v``) and its 4-connected background component
    reaches the border, i.e. iff ``v >= max(u8, 255 - join)`` where ``join``
    is the pass value (of ``255 - u8``) at which its background basin joins
    the frame. Only levels up to ``highest_level`` are read, so a basin that
    had not joined by then counts as joining just above it.

    Returns:
        np.ndarray: (H, W) uint8 map ``f`` with ``f > v`` iff the pixel is
        inside a filled component at level ``v <= highest_level``.
    """
    join = frame_join[background_basin]
    joined_at = np.where(join < 0, highest_level + 1, 255 - join)
    filled = np.maximum(scoremap_u8.ravel().astype(np.int64), joined_at)
    return np.minimum(filled, 255).astype(np.uint8).reshape(scoremap_u8.shape)


def _outer_boxes(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    width: int,
    height: int,
) -> np.ndarray:
    """``[x, y, x + w, y + h]`` of bounding rects, clipped to the map."""
    return (
        np.stack(
            [
                x0,
                y0,
                np.minimum(x1 + 1, width - 1),
                np.minimum(y1 + 1, height - 1),
            ],
            axis=1,
        )
        .astype(np.int64)
        .reshape(-1, 4)
    )


def _foreground_extents(
    scoremap_u8: np.ndarray, levels: np.ndarray
) -> Tuple[np.ndarray, ...]:
    """Pixel extents of ``u8 > v`` for levels below the map's maximum."""
    row_max = scoremap_u8.max(axis=1).astype(np.int64)
    col_max = scoremap_u8.max(axis=0).astype(np.int64)
    rows = row_max[None, :] > levels[:, None]
    cols = col_max[None, :] > levels[:, None]
    y0 = rows.argmax(axis=1)
    y1 = rows.shape[1] - 1 - rows[:, ::-1].argmax(axis=1)
    x0 = cols.argmax(axis=1)
    x1 = cols.shape[1] - 1 - cols[:, ::-1].argmax(axis=1)
    return x0, y0, x1, y1


def _active_level_boxes(
    scoremap_u8: np.ndarray, active: np.ndarray, mode: str
) -> Tuple[np.ndarray, np.ndarray]:
    """Boxes of non-empty foregrounds.

    Args:
        scoremap_u8 (np.ndarray): (H, W) uint8 map.
        active (np.ndarray): Strictly increasing levels below the maximum.
        mode (str): The box mode.

    Returns:
        tuple[np.ndarray, np.ndarray]: Index into ``active`` of each box
        (non-decreasing) and the (n, 4) boxes.
    """
    height, width = scoremap_u8.shape
    if mode == 'union':
        return np.arange(active.size), _outer_boxes(
            *_foreground_extents(scoremap_u8, active), width, height
        )
    # the 4-connected background of u8 <= v is {255 - u8 > 254 - v}
    background = _build_tree(255 - scoremap_u8, 4, 254 - int(active[-1]), True)
    if mode == 'all':
        holes = _level_components(background, (254 - active)[::-1])
        comps = _level_components(
            _build_tree(scoremap_u8, 8, int(active[0]), False), active
        )
        index = np.concatenate([comps.level, active.size - 1 - holes.level])
        boxes = np.concatenate(
            [
                _outer_boxes(
                    comps.x0, comps.y0, comps.x1, comps.y1, width, height
                ),
                _outer_boxes(
                    holes.x0 - 1,
                    holes.y0 - 1,
                    holes.x1 + 1,
                    holes.y1 + 1,
                    width,
                    height,
                ),
            ]
        )
        order = _level_order(index)
        return index[order], boxes[order]
    # 'largest': the outer contour of largest area is that of a top-level
    # component, whose filled set is a component of the filled map
    filled = _filled_map(
        scoremap_u8,
        background.basin,
        background.dendrogram.frame_join,
        int(active[-1]),
    )
    comps = _level_components(
        _build_tree(filled, 8, int(active[0]), False), active, with_area=True
    )
    order = _level_order(comps.level)
    comps = _LevelComponents(
        *(None if field is None else field[order] for field in comps)
    )
    # largest area first, then the latest first pixel (OpenCV's order)
    score = comps.area2 * (height * width) + comps.first
    starts = np.flatnonzero(np.r_[True, comps.level[1:] != comps.level[:-1]])
    best = np.maximum.reduceat(score, starts)
    owner = np.repeat(
        np.arange(starts.size), np.diff(np.r_[starts, score.size])
    )
    winner = np.flatnonzero(score == best[owner])
    boxes = _outer_boxes(
        comps.x0[winner],
        comps.y0[winner],
        comps.x1[winner],
        comps.y1[winner],
        width,
        height,
    )
    return comps.level[winner], boxes


def _level_order(index: np.ndarray) -> np.ndarray:
    """Stable order of level indices (< 256: a radix sort on int16)."""
    return np.argsort(index.astype(np.int16), kind='stable')


def _check_levels(
    scoremap_u8: np.ndarray, levels: Sequence[int], mode: str
) -> Tuple[np.ndarray, np.ndarray, int]:
    """Validate the inputs of the public functions."""
    if mode not in BOX_MODES:
        raise ValueError(
            f'Unknown box mode {mode!r}, choose from {BOX_MODES}.'
        )
    scoremap_u8 = np.asarray(scoremap_u8)
    if scoremap_u8.ndim != 2 or scoremap_u8.dtype != np.uint8:
        raise ValueError(
            'Expected a 2-D uint8 map, got '
            f'{scoremap_u8.dtype} of shape {scoremap_u8.shape}.'
        )
    levels = np.asarray(levels, dtype=np.int64).reshape(-1)
    if (levels < 0).any():
        raise ValueError('Binarisation levels must be non-negative.')
    peak = int(scoremap_u8.max()) if scoremap_u8.size else 0
    return np.ascontiguousarray(scoremap_u8), levels, peak


def level_boxes(
    scoremap_u8: np.ndarray, levels: Sequence[int], mode: str = 'all'
) -> List[np.ndarray]:
    """The boxes of ``scoremap_u8 > level`` for many levels at once.

    Equal, level by level, to
    :func:`~mmwsol.evaluation.functional.boxes_at_level` (which traces
    OpenCV contours) up to the order of the boxes of a level in mode
    ``'all'``, but computed from the component trees of the map in one
    pass.

    Args:
        scoremap_u8 (np.ndarray): (H, W) uint8 map.
        levels (Sequence[int]): Non-negative integer levels, any order.
        mode (str): ``'all'``, ``'largest'`` or ``'union'``. Defaults to
            'all'.

    Returns:
        list[np.ndarray]: One (n_i, 4) int64 array per level, n_i >= 1
        (``[[0, 0, 0, 0]]`` when the foreground is empty). In mode
        ``'all'``: the outer-contour boxes, then the hole-contour boxes.
    """
    scoremap_u8, levels, peak = _check_levels(scoremap_u8, levels, mode)
    active = np.unique(levels[levels < peak])
    index, boxes = (
        _active_level_boxes(scoremap_u8, active, mode)
        if active.size
        else (np.zeros(0, np.int64), np.zeros((0, 4), np.int64))
    )
    splits = np.split(boxes, np.searchsorted(index, np.arange(1, active.size)))
    empty = np.zeros((1, 4), dtype=np.int64)
    return [
        splits[int(np.searchsorted(active, level))]
        if level < peak
        else empty.copy()
        for level in levels.tolist()
    ]


def level_best_ious(
    scoremap_u8: np.ndarray,
    gt_boxes: np.ndarray,
    levels: Sequence[int],
    mode: str = 'all',
    implementation: str = 'auto',
) -> np.ndarray:
    """Best IoU between the boxes of each level and any GT box.

    In modes ``'all'`` (MaxBoxAccV2) and ``'largest'`` (MaxBoxAcc) a
    compiled sweep does the work when it is installed: a union-find adds
    the pixels in value order, descending for the 8-connected foreground
    components and ascending for the 4-connected background components
    (the holes, and the filled components of mode ``'largest'``), and the
    components alive at a level give their boxes -- the same boxes as the
    component trees, hence as OpenCV's contours. Otherwise, and in mode
    ``'union'``, the numpy component trees of this module are read.

    Args:
        scoremap_u8 (np.ndarray): (H, W) uint8 map.
        gt_boxes (np.ndarray): (G, 4) GT boxes on the map's grid, G >= 1,
            read as float64 and used as given (see
            :func:`~mmwsol.evaluation.functional.iou.check_gt_boxes`).
        levels (Sequence[int]): Non-negative integer levels, any order.
        mode (str): ``'all'``, ``'largest'`` or ``'union'``. Defaults to
            'all'.
        implementation (str): ``'auto'`` (compiled when available, the
            mode is ``'all'`` or ``'largest'`` and the map has at most
            :data:`COMPILED_MAX_SIDE` rows and columns), ``'compiled'`` (an
            error if unavailable, in mode ``'union'`` or for a larger map)
            or ``'numpy'``. All give the same values. Defaults to 'auto'.

    Returns:
        np.ndarray: float64 (n_levels, ), the maximum over the level's boxes
        and the GT boxes of :func:`~mmwsol.evaluation.functional.box_iou`.
    """
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(
            f'Unknown implementation {implementation!r}, '
            f'choose from {IMPLEMENTATIONS}.'
        )
    shape = np.shape(scoremap_u8)
    compiled = implementation == 'compiled' or (
        implementation == 'auto'
        and mode in COMPILED_MODES
        and has_compiled_sweep()
        and compiled_sweep_fits(shape)
    )
    if compiled and (mode not in COMPILED_MODES or not has_compiled_sweep()):
        raise ValueError(
            f'The compiled sweeps serve modes {COMPILED_MODES} '
            'and must be built (pip install -e . with a C '
            'compiler); use implementation="numpy".'
        )
    if compiled and not compiled_sweep_fits(shape):
        raise ValueError(
            f'The compiled sweeps take maps of at most '
            f'{COMPILED_MAX_SIDE} x {COMPILED_MAX_SIDE} pixels, '
            f'got shape {tuple(shape)}; use '
            'implementation="numpy" (or "auto").'
        )
    scoremap_u8, levels, peak = _check_levels(scoremap_u8, levels, mode)
    gt_boxes = check_gt_boxes(gt_boxes)
    empty_iou = float(box_iou(np.zeros((1, 4), np.int64), gt_boxes).max())
    result = np.full(levels.size, empty_iou, dtype=np.float64)
    is_active = levels < peak
    active, inverse = np.unique(levels[is_active], return_inverse=True)
    if active.size and compiled:
        best = np.empty(active.size, dtype=np.float64)
        sweep = (
            _level_sets.best_ious_all
            if mode == 'all'
            else _level_sets.best_ious_largest
        )
        sweep(
            scoremap_u8,
            np.ascontiguousarray(active, dtype=np.int64),
            np.ascontiguousarray(gt_boxes),
            best,
        )
        result[is_active] = best[inverse.reshape(-1)]
    elif active.size:
        index, boxes = _active_level_boxes(scoremap_u8, active, mode)
        ious = box_iou(boxes, gt_boxes).max(axis=1)
        starts = np.searchsorted(index, np.arange(active.size))
        result[is_active] = np.maximum.reduceat(ious, starts)[
            inverse.reshape(-1)
        ]
    return result
