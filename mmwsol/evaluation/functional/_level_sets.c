/*
 * Best IoU of the contour boxes of every binarisation level of a uint8 map
 * (MaxBoxAccV2's box mode 'all'), in one sweep of union-find per polarity.
 *
 * The boxes of `u8 > v` that OpenCV's contours give (RETR_TREE) are, as
 * mmwsol/evaluation/functional/component_tree.py explains:
 *   - per 8-connected foreground component, its pixel bounding box;
 *   - per 4-connected background component of `u8 <= v` that does not reach
 *     the image border (a hole), its bounding box grown by one pixel;
 * each as `[x0, y0, min(x1 + 1, W - 1), min(y1 + 1, H - 1)]` (OpenCV's
 * `[x, y, x + w, y + h]` clipped to the map).
 *
 * Foreground components only grow and merge when the level decreases, and
 * background components when it increases, so a union-find that adds the
 * pixels in value order (descending for the foreground, ascending for the
 * background) visits every component of every level. Each live component
 * caches the best IoU of its box; a level's best IoU is the maximum over the
 * components alive at that level. The Python module keeps an equivalent pure
 * numpy implementation and the tests check both against OpenCV.
 *
 * Interface (no numpy C API; plain buffers):
 *   best_ious_all(u8: bytes-like (H * W) uint8, height: int, width: int,
 *                 levels: bytes-like int64 (n,) strictly increasing, each
 *                 below the map's maximum,
 *                 gt: bytes-like int64 (G * 4,) boxes [x0, y0, x1, y1],
 *                 out: writable float64 (n,)) -> None
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One union-find node per pixel; the fields of a root describe its
 * component. Kept together so that a merge touches one cache line each. */
typedef struct {
    int32_t parent; /* -1: pixel not added yet */
    int32_t size;
    int32_t x0, y0, x1, y1;
    int32_t slot;   /* index in `live`, -1 when not listed */
    int32_t border; /* background: touches the image border */
} Node;

typedef struct {
    Node *node;
    double *best;  /* cached best IoU of a root's box, < 0: stale */
    int32_t *live; /* the listed roots */
    int32_t num_live;
} Forest;

/* Work memory, kept between calls: fresh large allocations are mapped
 * pages whose first touch costs more than the whole sweep. The GIL is held
 * during a call, so one workspace per process is enough. */
static void *workspace = NULL;
static size_t workspace_size = 0;

static void *get_workspace(size_t size) {
    if (size > workspace_size) {
        void *grown = realloc(workspace, size);
        if (!grown) return NULL;
        workspace = grown;
        workspace_size = size;
    }
    return workspace;
}

/* Carve two forests and the pixel order out of the workspace. */
static int32_t *forests_init(Forest *fg, Forest *bg, Py_ssize_t n,
                             Py_ssize_t num_pixels) {
    size_t per_forest = n * (sizeof(Node) + sizeof(double) + sizeof(int32_t));
    char *mem = get_workspace(2 * per_forest + num_pixels * sizeof(int32_t));
    if (!mem) return NULL;
    Forest *forests[2] = {fg, bg};
    for (int k = 0; k < 2; k++) {
        Forest *f = forests[k];
        f->best = (double *)mem;
        mem += n * sizeof(double);
        f->node = (Node *)mem;
        mem += n * sizeof(Node);
        f->live = (int32_t *)mem;
        mem += n * sizeof(int32_t);
        f->num_live = 0;
        for (Py_ssize_t i = 0; i < n; i++) f->node[i].parent = -1;
    }
    return (int32_t *)mem;
}

static inline int32_t find_root(Node *node, int32_t p) {
    while (node[p].parent != p) {
        node[p].parent = node[node[p].parent].parent; /* path halving */
        p = node[p].parent;
    }
    return p;
}

static inline void list_add(Forest *f, int32_t r) {
    f->node[r].slot = f->num_live;
    f->live[f->num_live++] = r;
}

static inline void list_remove(Forest *f, int32_t r) {
    int32_t k = f->node[r].slot;
    if (k < 0) return;
    int32_t last = f->live[--f->num_live];
    f->live[k] = last;
    f->node[last].slot = k;
    f->node[r].slot = -1;
}

/* IoU with the inclusive-pixel convention of box_iou (iou.py): identical
 * integer arithmetic, one float64 division. */
static double best_iou(int64_t bx0, int64_t by0, int64_t bx1, int64_t by1,
                       const int64_t *gt, Py_ssize_t num_gt) {
    double best = 0.0;
    int first = 1;
    int64_t area_b = (bx1 - bx0 + 1) * (by1 - by0 + 1);
    for (Py_ssize_t g = 0; g < num_gt; g++) {
        const int64_t *q = gt + 4 * g;
        int64_t iw = (bx1 < q[2] ? bx1 : q[2]) - (bx0 > q[0] ? bx0 : q[0]) + 1;
        int64_t ih = (by1 < q[3] ? by1 : q[3]) - (by0 > q[1] ? by0 : q[1]) + 1;
        if (iw < 0) iw = 0;
        if (ih < 0) ih = 0;
        int64_t inter = iw * ih;
        int64_t area_g = (q[2] - q[0] + 1) * (q[3] - q[1] + 1);
        int64_t uni = area_b + area_g - inter;
        double iou = uni > 0 ? (double)inter / (double)uni : 0.0;
        if (first || iou > best) best = iou;
        first = 0;
    }
    return best;
}

/* Refresh the cached IoU of root r from its extent (grown by `grow`). */
static inline void update_best(Forest *f, int32_t r, int grow, int64_t width,
                               int64_t height, const int64_t *gt,
                               Py_ssize_t num_gt) {
    const Node *c = &f->node[r];
    int64_t x0 = c->x0 - grow, y0 = c->y0 - grow;
    int64_t x1 = c->x1 + 1 + grow, y1 = c->y1 + 1 + grow;
    if (x1 > width - 1) x1 = width - 1;
    if (y1 > height - 1) y1 = height - 1;
    f->best[r] = best_iou(x0, y0, x1, y1, gt, num_gt);
}

/* Merge the component of the added pixel q into the one whose root is
 * `root`; returns the root of the union. */
static inline int32_t unite(Forest *f, int32_t root, int32_t q) {
    Node *node = f->node;
    int32_t ra = root, rb = find_root(node, q);
    if (ra == rb) return ra;
    if (node[ra].size < node[rb].size) {
        int32_t t = ra;
        ra = rb;
        rb = t;
    }
    Node *a = &node[ra], *b = &node[rb];
    b->parent = ra;
    a->size += b->size;
    if (b->x0 < a->x0) a->x0 = b->x0;
    if (b->y0 < a->y0) a->y0 = b->y0;
    if (b->x1 > a->x1) a->x1 = b->x1;
    if (b->y1 > a->y1) a->y1 = b->y1;
    a->border |= b->border;
    list_remove(f, rb);
    return ra;
}

/* Pixels ordered by value: bucket v holds order[start[v] .. start[v + 1]),
 * each entry the pixel's coordinates packed as (y << 16) | x. */
static void bucket_sort(const uint8_t *u8, Py_ssize_t height,
                        Py_ssize_t width, int32_t *order, Py_ssize_t *start) {
    Py_ssize_t count[257];
    memset(count, 0, sizeof(count));
    for (Py_ssize_t i = 0; i < height * width; i++) count[u8[i] + 1]++;
    for (int v = 0; v < 256; v++) count[v + 1] += count[v];
    memcpy(start, count, sizeof(count));
    for (Py_ssize_t y = 0, i = 0; y < height; y++)
        for (Py_ssize_t x = 0; x < width; x++, i++)
            order[count[u8[i]]++] = (int32_t)((y << 16) | x);
}

/* Add the pixel packed as (y << 16) | x and merge it with its added
 * neighbours. Nodes live on a grid padded by a frame of never-added nodes
 * (stride width + 2), so that neighbours need no bounds checks. */
static int32_t add_pixel(Forest *f, int32_t packed, int32_t width,
                         int32_t height, int connectivity,
                         int track_border) {
    int32_t y = packed >> 16, x = packed & 0xffff;
    int32_t stride = width + 2;
    int32_t p = (y + 1) * stride + x + 1;
    Node *node = f->node;
    Node *c = &node[p];
    c->parent = p;
    c->size = 1;
    c->x0 = c->x1 = x;
    c->y0 = c->y1 = y;
    c->border = track_border &&
                (x == 0 || y == 0 || x == width - 1 || y == height - 1);
    list_add(f, p);
    int32_t root = p;
    if (connectivity == 8) {
        const int32_t offsets[8] = {-stride - 1, -stride, -stride + 1, -1,
                                    1, stride - 1, stride, stride + 1};
        for (int k = 0; k < 8; k++) {
            int32_t q = p + offsets[k];
            if (node[q].parent >= 0) root = unite(f, root, q);
        }
    } else {
        const int32_t offsets[4] = {-stride, -1, 1, stride};
        for (int k = 0; k < 4; k++) {
            int32_t q = p + offsets[k];
            if (node[q].parent >= 0) root = unite(f, root, q);
        }
    }
    return root;
}

static PyObject *best_ious_all(PyObject *self, PyObject *args) {
    Py_buffer map_buf, level_buf, gt_buf, out_buf;
    Py_ssize_t height, width;
    if (!PyArg_ParseTuple(args, "y*nny*y*w*", &map_buf, &height, &width,
                          &level_buf, &gt_buf, &out_buf))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = height * width;
    Py_ssize_t num_levels = level_buf.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t num_gt = gt_buf.len / (Py_ssize_t)(4 * sizeof(int64_t));
    const uint8_t *u8 = (const uint8_t *)map_buf.buf;
    const int64_t *levels = (const int64_t *)level_buf.buf;
    const int64_t *gt = (const int64_t *)gt_buf.buf;
    double *out = (double *)out_buf.buf;
    Forest fg = {0}, bg = {0};
    int32_t *order = NULL;

    if (height <= 0 || width <= 0 || height > 32767 || width > 32767 ||
        map_buf.len != n ||
        out_buf.len != num_levels * (Py_ssize_t)sizeof(double) ||
        num_gt < 1) {
        PyErr_SetString(PyExc_ValueError, "best_ious_all: bad buffer sizes");
        goto done;
    }
    for (Py_ssize_t i = 0; i < num_levels; i++) {
        if (levels[i] < 0 || levels[i] > 254 ||
            (i > 0 && levels[i] <= levels[i - 1])) {
            PyErr_SetString(PyExc_ValueError,
                            "best_ious_all: levels must be strictly "
                            "increasing in [0, 254]");
            goto done;
        }
    }
    order = forests_init(&fg, &bg, (height + 2) * (width + 2), n);
    if (!order) {
        PyErr_NoMemory();
        goto done;
    }

    {
    Py_ssize_t start[257];
    bucket_sort(u8, height, width, order, start);
    /* foreground u8 > v: levels from the highest, pixels by value down */
    int next_value = 255; /* values > next_value have been added */
    for (Py_ssize_t i = num_levels - 1; i >= 0; i--) {
        int v = (int)levels[i];
        for (; next_value > v; next_value--) {
            for (Py_ssize_t j = start[next_value]; j < start[next_value + 1];
                 j++) {
                int32_t r = add_pixel(&fg, order[j], (int32_t)width,
                                      (int32_t)height, 8, 0);
                fg.best[r] = -1.0; /* stale */
            }
        }
        double best = -1.0;
        for (int32_t k = 0; k < fg.num_live; k++) {
            int32_t r = fg.live[k];
            if (fg.best[r] < 0) update_best(&fg, r, 0, width, height, gt,
                                            num_gt);
            if (fg.best[r] > best) best = fg.best[r];
        }
        out[i] = best;
    }
    /* holes of u8 > v = background u8 <= v off the border: levels up */
    int added_to = -1; /* values <= added_to have been added */
    for (Py_ssize_t i = 0; i < num_levels; i++) {
        int v = (int)levels[i];
        for (; added_to < v; added_to++) {
            int value = added_to + 1;
            for (Py_ssize_t j = start[value]; j < start[value + 1]; j++) {
                int32_t r = add_pixel(&bg, order[j], (int32_t)width,
                                      (int32_t)height, 4, 1);
                bg.best[r] = -1.0;
            }
        }
        double best = out[i];
        for (int32_t k = 0; k < bg.num_live; k++) {
            int32_t r = bg.live[k];
            if (bg.node[r].border) { /* reached the border: never a hole again */
                list_remove(&bg, r);
                k--;
                continue;
            }
            if (bg.best[r] < 0) update_best(&bg, r, 1, width, height, gt,
                                            num_gt);
            if (bg.best[r] > best) best = bg.best[r];
        }
        out[i] = best;
    }
    }
    Py_INCREF(Py_None);
    result = Py_None;

done:
    PyBuffer_Release(&map_buf);
    PyBuffer_Release(&level_buf);
    PyBuffer_Release(&gt_buf);
    PyBuffer_Release(&out_buf);
    return result;
}

static PyMethodDef methods[] = {
    {"best_ious_all", best_ious_all, METH_VARARGS,
     "Best IoU of the contour boxes (holes included) of each level."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_level_sets",
                                    "Compiled level-set sweeps for the WSOL "
                                    "box metric.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__level_sets(void) { return PyModule_Create(&module); }
