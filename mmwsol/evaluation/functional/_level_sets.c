/*
 * Best IoU of the contour boxes of every binarisation level of a uint8 map
 * (MaxBoxAccV2's box mode 'all'), in one sweep of union-find per polarity.
 *
 * The boxes of `u8 > v` that OpenCV's contours give (RETR_TREE) are, as
 * mmwsol/evaluation/functional/level_sets.py explains:
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
 * components alive at that level. The tests check it against OpenCV.
 *
 * Box mode 'largest' (MaxBoxAcc) keeps, per level, the outer contour of
 * largest `cv2.contourArea`: that of the top-level component whose filled
 * set (holes included) covers the most 2 x 2 windows (one half unit per
 * window with three pixels inside, one with four), ties going to the
 * component whose first pixel in raster order comes last. A background
 * sweep finds, per pixel, the level at which it leaves the filled
 * foreground; a foreground sweep of that filled map counts the windows.
 *
 * A level at which no pixel is above (a level >= the map's maximum) has no
 * contour: its box is the protocol's [0, 0, 0, 0].
 *
 * GT boxes are float64 and the IoU is computed on them as given, with the
 * operations of box_iou (iou.py) in the same order, so that every backend
 * gives the same number for non-integer boxes too (setup.py compiles with
 * -ffp-contract=off: no fused multiply-add).
 *
 * Interface (no numpy C API; buffers, checked):
 *   best_ious_largest(...) takes the same arguments as best_ious_all;
 *   best_ious_all(u8: uint8 (H, W), C-contiguous, 1 <= H, W <= MAX_SIDE,
 *                 levels: int64 (n,) strictly increasing in [0, 254],
 *                 gt: float64 (G, 4), G >= 1, boxes [x0, y0, x1, y1],
 *                 out: writable float64 (n,)) -> None
 * A wrong dtype is a TypeError, a wrong shape, order or size a ValueError,
 * each naming the argument. MAX_SIDE (32767, a module constant) keeps the
 * packed pixel coordinates and node indices in int32.
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
    int32_t first;  /* raster index of the component's first pixel */
    int32_t area2;  /* twice the outer contour area (filled components) */
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

/* Give back a workspace grown for an unusually large map (a 224 x 224 map
 * needs about 3 MB; keep up to 64 MB between calls). */
static void trim_workspace(void) {
    if (workspace_size > ((size_t)64 << 20)) {
        free(workspace);
        workspace = NULL;
        workspace_size = 0;
    }
}

/* Mark the n nodes of a forest as not added, with nothing listed. */
static void forest_reset(Forest *f, Py_ssize_t n) {
    f->num_live = 0;
    for (Py_ssize_t i = 0; i < n; i++) f->node[i].parent = -1;
}

/* Carve an empty forest of n nodes and `extra` bytes out of the workspace;
 * returns the extra bytes. One forest serves both sweeps of a call, reset
 * in between: half the memory of two stays in cache. */
static char *forest_init(Forest *f, Py_ssize_t n, size_t extra) {
    char *mem = get_workspace(
        n * (sizeof(Node) + sizeof(double) + sizeof(int32_t)) + extra);
    if (!mem) return NULL;
    f->best = (double *)mem;
    mem += n * sizeof(double);
    f->node = (Node *)mem;
    mem += n * sizeof(Node);
    f->live = (int32_t *)mem;
    mem += n * sizeof(int32_t);
    forest_reset(f, n);
    return mem;
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

/* IoU with the inclusive-pixel convention of box_iou (iou.py), on float64
 * GT boxes: the same operations in the same order as numpy does them (the
 * predicted box's area in int64, everything else in float64), so the result
 * is bit-identical; exact for integer boxes. */
static double best_iou(int64_t bx0, int64_t by0, int64_t bx1, int64_t by1,
                       const double *gt, Py_ssize_t num_gt) {
    double best = 0.0;
    int first = 1;
    const double x0 = (double)bx0, y0 = (double)by0;
    const double x1 = (double)bx1, y1 = (double)by1;
    const double area_b = (double)((bx1 - bx0 + 1) * (by1 - by0 + 1));
    for (Py_ssize_t g = 0; g < num_gt; g++) {
        const double *q = gt + 4 * g;
        double iw = (x1 < q[2] ? x1 : q[2]) - (x0 > q[0] ? x0 : q[0]) + 1.0;
        double ih = (y1 < q[3] ? y1 : q[3]) - (y0 > q[1] ? y0 : q[1]) + 1.0;
        if (iw < 0) iw = 0.0;
        if (ih < 0) ih = 0.0;
        double inter = iw * ih;
        double area_g = (q[2] - q[0] + 1.0) * (q[3] - q[1] + 1.0);
        double uni = area_b + area_g - inter;
        double iou = uni > 0 ? inter / uni : 0.0;
        if (first || iou > best) best = iou;
        first = 0;
    }
    return best;
}

/* Refresh the cached IoU of root r from its extent (grown by `grow`). */
static inline void update_best(Forest *f, int32_t r, int grow, int64_t width,
                               int64_t height, const double *gt,
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
    if (b->first < a->first) a->first = b->first;
    a->area2 += b->area2;
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
    c->first = y * width + x;
    c->area2 = 0;
    list_add(f, p);
    int32_t root = p;
    if (connectivity == 8) {
        /* Added neighbours that touch each other are already one
         * component: two consecutive orthogonal neighbours (N-E, E-S, S-W,
         * W-N) touch, and a diagonal touches both orthogonals beside it.
         * So unite with an orthogonal only if the one before it (in the
         * order N, E, S, W) is absent, and with a diagonal only if both
         * orthogonals beside it are absent. */
        const int32_t ortho[4] = {-stride, 1, stride, -1};
        const int32_t diag[4] = {-stride + 1, stride + 1, stride - 1,
                                 -stride - 1}; /* NE, SE, SW, NW */
        int present[4];
        for (int k = 0; k < 4; k++) present[k] = node[p + ortho[k]].parent >= 0;
        int all = present[0] && present[1] && present[2] && present[3];
        for (int k = 0; k < 4; k++) {
            if (present[k] && (!present[(k + 3) & 3] || (all && k == 0)))
                root = unite(f, root, p + ortho[k]);
            /* diagonal k lies between orthogonals k and k + 1 */
            if (!present[k] && !present[(k + 1) & 3] &&
                node[p + diag[k]].parent >= 0)
                root = unite(f, root, p + diag[k]);
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

/* Largest height and width of a map: pixels are packed as (y << 16) | x in
 * int32 and the padded grid's node indices stay below 2^31. */
#define MAX_SIDE 32767

/* The arguments shared by the sweeps, validated. */
typedef struct {
    Py_buffer map_buf, level_buf, gt_buf, out_buf;
    Py_ssize_t height, width, num_levels, num_gt;
    const uint8_t *u8;
    const int64_t *levels;
    const double *gt;
    double *out;
} Args;

static void args_release(Args *a) {
    PyBuffer_Release(&a->map_buf);
    PyBuffer_Release(&a->level_buf);
    PyBuffer_Release(&a->gt_buf);
    PyBuffer_Release(&a->out_buf);
}

/* The element type of a buffer: its struct format without a native byte
 * order prefix ("" for a non-native one), and its item size. */
static int has_type(const Py_buffer *view, const char *codes,
                    Py_ssize_t itemsize) {
    const char *format = view->format ? view->format : "B";
    if (*format == '@' || *format == '=') format++;
    return view->itemsize == itemsize && format[0] != '\0' &&
           format[1] == '\0' && strchr(codes, format[0]) != NULL;
}

/* Get the buffer of argument `arg` of `func`: C-contiguous, `ndim`
 * dimensions (`shape` names them for messages), elements of one of the struct codes `codes` and `itemsize`
 * bytes (a TypeError otherwise, or a ValueError for the layout). */
static int get_array(PyObject *obj, Py_buffer *view, const char *func,
                     const char *arg, int writable, const char *codes,
                     Py_ssize_t itemsize, const char *dtype, int ndim,
                     const char *shape) {
    int flags = PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        /* keep the reason (e.g. a read-only array) in the message */
        PyObject *type, *value, *trace, *reason = NULL;
        PyErr_Fetch(&type, &value, &trace);
        if (value) reason = PyObject_Str(value);
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "%s: argument '%s' must be a %snumpy array of dtype %s, "
                     "got %.200s (%S)", func, arg,
                     writable ? "writable " : "", dtype,
                     Py_TYPE(obj)->tp_name,
                     reason ? reason : (PyObject *)Py_TYPE(obj));
        Py_XDECREF(reason);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(trace);
        return -1;
    }
    if (!has_type(view, codes, itemsize)) {
        PyErr_Format(PyExc_TypeError,
                     "%s: argument '%s' must have dtype %s, got buffer "
                     "format '%s' of %zd-byte items",
                     func, arg, dtype, view->format ? view->format : "B",
                     view->itemsize);
        return -1;
    }
    if (!PyBuffer_IsContiguous(view, 'C')) {
        PyErr_Format(PyExc_ValueError,
                     "%s: argument '%s' must be C-contiguous "
                     "(np.ascontiguousarray)", func, arg);
        return -1;
    }
    if (view->ndim != ndim) {
        PyErr_Format(PyExc_ValueError,
                     "%s: argument '%s' must be %d-D, shape %s, got %d "
                     "dimension(s)", func, arg, ndim, shape, view->ndim);
        return -1;
    }
    return 0;
}

static int args_fail(Args *a) {
    args_release(a);
    return -1;
}

static int args_parse(PyObject *args, Args *a, const char *name) {
    PyObject *u8, *levels, *gt, *out;
    memset(a, 0, sizeof(*a));
    if (!PyArg_ParseTuple(args, "OOOO", &u8, &levels, &gt, &out)) return -1;
    if (get_array(u8, &a->map_buf, name, "u8", 0, "B", 1, "uint8", 2,
                  "(H, W)") < 0 ||
        get_array(levels, &a->level_buf, name, "levels", 0, "lq", 8, "int64",
                  1, "(n,)") < 0 ||
        get_array(gt, &a->gt_buf, name, "gt", 0, "d", 8, "float64", 2,
                  "(G, 4)") < 0 ||
        get_array(out, &a->out_buf, name, "out", 1, "d", 8, "float64", 1,
                  "(n,)") < 0)
        return args_fail(a);
    a->height = a->map_buf.shape[0];
    a->width = a->map_buf.shape[1];
    a->num_levels = a->level_buf.shape[0];
    a->num_gt = a->gt_buf.shape[0];
    a->u8 = (const uint8_t *)a->map_buf.buf;
    a->levels = (const int64_t *)a->level_buf.buf;
    a->gt = (const double *)a->gt_buf.buf;
    a->out = (double *)a->out_buf.buf;
    if (a->height < 1 || a->width < 1 || a->height > MAX_SIDE ||
        a->width > MAX_SIDE) {
        PyErr_Format(PyExc_ValueError,
                     "%s: the map must have 1 to %d rows and columns, got "
                     "%zd x %zd (larger maps: the numpy path)",
                     name, MAX_SIDE, a->height, a->width);
        return args_fail(a);
    }
    if (a->gt_buf.shape[1] != 4) {
        PyErr_Format(PyExc_ValueError,
                     "%s: argument 'gt' must have shape (G, 4), got "
                     "(%zd, %zd)", name, a->gt_buf.shape[0],
                     a->gt_buf.shape[1]);
        return args_fail(a);
    }
    if (a->num_gt < 1) {
        PyErr_Format(PyExc_ValueError, "%s: at least one GT box is needed",
                     name);
        return args_fail(a);
    }
    if (a->out_buf.shape[0] != a->num_levels) {
        PyErr_Format(PyExc_ValueError,
                     "%s: argument 'out' must have one value per level "
                     "(%zd), got %zd", name, a->num_levels,
                     a->out_buf.shape[0]);
        return args_fail(a);
    }
    for (Py_ssize_t i = 0; i < a->num_levels; i++) {
        if (a->levels[i] < 0 || a->levels[i] > 254 ||
            (i > 0 && a->levels[i] <= a->levels[i - 1])) {
            PyErr_Format(PyExc_ValueError,
                         "%s: levels must be strictly increasing in "
                         "[0, 254]", name);
            return args_fail(a);
        }
    }
    return 0;
}

static PyObject *best_ious_all(PyObject *self, PyObject *args) {
    Args a;
    if (args_parse(args, &a, "best_ious_all") < 0) return NULL;
    const Py_ssize_t height = a.height, width = a.width, n = height * width;
    const Py_ssize_t num_levels = a.num_levels, num_gt = a.num_gt;
    const int64_t *levels = a.levels;
    const double *gt = a.gt;
    double *out = a.out;
    const double empty_iou = best_iou(0, 0, 0, 0, gt, num_gt);
    Forest fg;
    const Py_ssize_t padded = (height + 2) * (width + 2);
    int32_t *order =
        (int32_t *)forest_init(&fg, padded, n * sizeof(int32_t));
    if (!order) {
        args_release(&a);
        return PyErr_NoMemory();
    }
    Py_ssize_t start[257];
    bucket_sort(a.u8, height, width, order, start);
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
        /* no pixel above v: no contour, the box [0, 0, 0, 0] (and no
         * hole either) */
        double best = fg.num_live ? -1.0 : empty_iou;
        for (int32_t k = 0; k < fg.num_live; k++) {
            int32_t r = fg.live[k];
            if (fg.best[r] < 0) update_best(&fg, r, 0, width, height, gt,
                                            num_gt);
            if (fg.best[r] > best) best = fg.best[r];
        }
        out[i] = best;
    }
    /* holes of u8 > v = background u8 <= v off the border: levels up */
    forest_reset(&fg, padded);
    Forest bg = fg;
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
    args_release(&a);
    trim_workspace();
    Py_RETURN_NONE;
}

/* The level at which each pixel leaves the filled foreground: the lowest
 * level v >= u8 at which its 4-connected background component of
 * `u8 <= v` reaches the image border (`highest + 1` if none up to
 * `highest`). Pixels above `highest` keep their value. The result `f`
 * satisfies: f > v iff the pixel is inside a filled component of
 * `u8 > v` (the component with its holes), for every v <= highest. */
static void filled_map(const uint8_t *u8, Py_ssize_t height, Py_ssize_t width,
                       int highest, const int32_t *order,
                       const Py_ssize_t *start, Forest *bg, int32_t *next,
                       int32_t *head, int32_t *tail, uint8_t *filled) {
    Py_ssize_t n = height * width;
    int32_t stride = (int32_t)width + 2;
    for (Py_ssize_t i = 0; i < n; i++)
        filled[i] = u8[i] > highest ? u8[i] : (uint8_t)(highest + 1);
    Node *node = bg->node;
    for (int v = 0; v <= highest; v++) {
        for (Py_ssize_t j = start[v]; j < start[v + 1]; j++) {
            int32_t packed = order[j];
            int32_t y = packed >> 16, x = packed & 0xffff;
            int32_t p = (y + 1) * stride + x + 1;
            Node *c = &node[p];
            c->parent = p;
            c->size = 1;
            c->border = x == 0 || y == 0 || x == width - 1 ||
                        y == height - 1;
            c->slot = -1;
            /* the unjoined pixels of a root, as a linked list */
            if (c->border) {
                filled[y * width + x] = (uint8_t)v;
                head[p] = -1;
            } else {
                head[p] = tail[p] = p;
                next[p] = -1;
            }
            int32_t root = p;
            const int32_t offsets[4] = {-stride, -1, 1, stride};
            for (int k = 0; k < 4; k++) {
                int32_t q = p + offsets[k];
                if (node[q].parent < 0) continue;
                int32_t ra = root, rb = find_root(node, q);
                if (ra == rb) continue;
                if (node[ra].size < node[rb].size) {
                    int32_t t = ra;
                    ra = rb;
                    rb = t;
                }
                node[rb].parent = ra;
                node[ra].size += node[rb].size;
                if (node[ra].border != node[rb].border) {
                    /* the inner one joins the border now */
                    int32_t inner = node[ra].border ? rb : ra;
                    for (int32_t m = head[inner]; m >= 0; m = next[m]) {
                        int32_t my = m / stride - 1, mx = m % stride - 1;
                        filled[my * width + mx] = (uint8_t)v;
                    }
                    head[ra] = -1;
                    node[ra].border = 1;
                } else if (!node[ra].border) {
                    next[tail[ra]] = head[rb];
                    tail[ra] = tail[rb];
                }
                root = ra;
            }
        }
    }
    /* a pixel inside until `highest` keeps highest + 1; one that joined at
     * v >= its value leaves at v: f = max(u8, join) */
    for (Py_ssize_t i = 0; i < n; i++)
        if (u8[i] > filled[i]) filled[i] = u8[i];
}

static PyObject *best_ious_largest(PyObject *self, PyObject *args) {
    Args a;
    if (args_parse(args, &a, "best_ious_largest") < 0) return NULL;
    const Py_ssize_t height = a.height, width = a.width, n = height * width;
    const Py_ssize_t padded = (height + 2) * (width + 2);
    if (a.num_levels == 0) {
        args_release(&a);
        Py_RETURN_NONE;
    }
    Forest fg;
    size_t extra = n * sizeof(int32_t) + 3 * padded * sizeof(int32_t) + n;
    char *mem = forest_init(&fg, padded, extra);
    if (!mem) {
        args_release(&a);
        return PyErr_NoMemory();
    }
    int32_t *order = (int32_t *)mem;
    int32_t *next = order + n, *head = next + padded, *tail = head + padded;
    uint8_t *filled = (uint8_t *)(tail + padded);
    Py_ssize_t start[257];
    int highest = (int)a.levels[a.num_levels - 1];
    bucket_sort(a.u8, height, width, order, start);
    filled_map(a.u8, height, width, highest, order, start, &fg, next, head,
               tail, filled);
    forest_reset(&fg, padded);
    bucket_sort(filled, height, width, order, start);
    /* foreground of the filled map, levels from the highest; a 2 x 2
     * window adds one half unit of area to its component when its third
     * pixel enters and another when its fourth does */
    int32_t stride = (int32_t)width + 2;
    const int32_t corners[4] = {-stride - 1, -stride, -1, 0};
    Node *node = fg.node;
    int next_value = 255;
    for (Py_ssize_t i = a.num_levels - 1; i >= 0; i--) {
        int v = (int)a.levels[i];
        for (; next_value > v; next_value--) {
            for (Py_ssize_t j = start[next_value]; j < start[next_value + 1];
                 j++) {
                int32_t packed = order[j];
                int32_t r = add_pixel(&fg, packed, (int32_t)width,
                                      (int32_t)height, 8, 0);
                int32_t p = ((packed >> 16) + 1) * stride +
                            (packed & 0xffff) + 1;
                for (int k = 0; k < 4; k++) {
                    int32_t c = p + corners[k];
                    int inside = (node[c].parent >= 0) +
                                 (node[c + 1].parent >= 0) +
                                 (node[c + stride].parent >= 0) +
                                 (node[c + stride + 1].parent >= 0);
                    if (inside >= 3) node[r].area2++;
                }
            }
        }
        if (fg.num_live == 0) { /* no contour: the box [0, 0, 0, 0] */
            a.out[i] = best_iou(0, 0, 0, 0, a.gt, a.num_gt);
            continue;
        }
        /* largest area; on ties the latest first pixel (OpenCV's order) */
        int32_t winner = fg.live[0];
        for (int32_t k = 1; k < fg.num_live; k++) {
            int32_t r = fg.live[k];
            if (node[r].area2 > node[winner].area2 ||
                (node[r].area2 == node[winner].area2 &&
                 node[r].first > node[winner].first))
                winner = r;
        }
        update_best(&fg, winner, 0, width, height, a.gt, a.num_gt);
        a.out[i] = fg.best[winner];
    }
    args_release(&a);
    trim_workspace();
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"best_ious_all", best_ious_all, METH_VARARGS,
     "Best IoU of the contour boxes (holes included) of each level."},
    {"best_ious_largest", best_ious_largest, METH_VARARGS,
     "IoU of the largest outer contour's box at each level."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_level_sets",
                                    "Compiled level-set sweeps for the WSOL "
                                    "box metric.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__level_sets(void) {
    PyObject *m = PyModule_Create(&module);
    if (m && PyModule_AddIntConstant(m, "MAX_SIDE", MAX_SIDE) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
