"""A self-contained static HTML page of one evaluation run.

One file, opened from disk without a server: inline CSS, every image a
base64 ``data:`` URI, and a few lines of inline JavaScript that only mark,
on ``<body>``, how many images decoded (``data-images-ok`` /
``data-images-total``; the page needs no script to be read). Sections (by
``id``): ``metrics``, ``curves``, ``per-class``, ``error-analysis`` (when
the metric computed SPA's error cases), ``best`` and ``worst`` (galleries of
the best and worst localized images: overlay with GT and predicted boxes,
IoU in the caption).
"""

import base64
import html
import io
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from .curves import plot_curves

#: SPA's error cases as the metric names them (suffix after the prefix).
ERROR_NAMES = {
    'err_cls': 'Classification error (top-1 wrong)',
    'err_multi_instance': 'Multi-instance',
    'err_part': 'Part',
    'err_more': 'More',
    'err_other': 'Other',
}

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;
 background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#b8c0d0}
section{background:#fff;margin:18px 32px;padding:16px 24px;
 border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h2{margin-top:0;font-size:18px}
table{border-collapse:collapse;font-size:14px}
td,th{padding:4px 12px;border-bottom:1px solid #e4e7ec;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.bar{background:#e4e7ec;width:220px;height:12px;border-radius:6px}
.bar div{background:#2f7de1;height:12px;border-radius:6px}
.gallery{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;width:256px}figure img{width:256px;border-radius:4px}
figcaption{font-size:13px;margin-top:4px}
img.curves{max-width:100%}
.note{color:#5b6475;font-size:13px}
"""

_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
  }
  document.body.setAttribute('data-images-ok', ok);
  document.body.setAttribute('data-images-total', imgs.length);
});
"""


@dataclass
class GalleryItem:
    """One picture of a gallery.

    Attributes:
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB overlay.
        caption (str): Plain-text caption lines, ``\\n``-separated.
    """

    image: np.ndarray
    caption: str


def png_data_uri(image: np.ndarray) -> str:
    """An RGB uint8 image as a ``data:image/png;base64,...`` URI."""
    ok, buf = cv2.imencode('.png', cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError('could not encode the image as PNG')
    return 'data:image/png;base64,' + base64.b64encode(buf).decode('ascii')


def curves_data_uri(curves: Sequence[dict], dpi: int = 80) -> str:
    """The figure of :func:`~mmwsol.visualization.plot_curves` as a URI."""
    fig = plot_curves(list(curves), dpi=dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=dpi)
    return 'data:image/png;base64,' + base64.b64encode(buf.getvalue()).decode(
        'ascii'
    )


def _esc(value) -> str:
    return html.escape(str(value))


def _fmt(value) -> str:
    if isinstance(value, float):
        return 'n/a' if math.isnan(value) else f'{value:.2f}'
    return _esc(value)


def metrics_table(metrics: Dict[str, object]) -> str:
    """Rows of name / value."""
    rows = ''.join(
        f'<tr><td>{_esc(k)}</td><td class="num">{_fmt(v)}</td></tr>'
        for k, v in metrics.items()
    )
    return f'<table><tr><th>Metric</th><th>Value</th></tr>{rows}</table>'


def error_rows(metrics: Dict[str, object]) -> List[tuple]:
    """``(name, value)`` of SPA's error cases present in the metrics."""
    rows = []
    for key, value in metrics.items():
        suffix = key.rsplit('/', 1)[-1]
        if suffix in ERROR_NAMES:
            rows.append((ERROR_NAMES[suffix], value))
    return rows


def _bar(percent: float) -> str:
    width = 0.0 if math.isnan(percent) else max(0.0, min(percent, 100.0))
    return f'<div class="bar"><div style="width:{width:.1f}%"></div></div>'


def per_class_table(rows: Sequence[dict]) -> str:
    """Rows ``dict(name, num, accuracy, mean_iou)``, accuracy in percent."""
    body = ''.join(
        f'<tr><td>{_esc(r["name"])}</td><td class="num">{r["num"]}</td>'
        f'<td class="num">{_fmt(r["accuracy"])}</td>'
        f'<td>{_bar(r["accuracy"])}</td>'
        f'<td class="num">{_fmt(r["mean_iou"])}</td></tr>'
        for r in rows
    )
    return (
        '<table><tr><th>Class</th><th>Images</th><th>GT-known Loc (%)</th>'
        f'<th></th><th>Mean IoU</th></tr>{body}</table>'
    )


def gallery(items: Sequence[GalleryItem]) -> str:
    """A flex row of figures with captions."""
    figures = []
    for item in items:
        caption = '<br>'.join(_esc(line) for line in item.caption.split('\n'))
        figures.append(
            f'<figure><img src="{png_data_uri(item.image)}" '
            f'alt="{_esc(item.caption.splitlines()[0])}">'
            f'<figcaption>{caption}</figcaption></figure>'
        )
    return f'<div class="gallery">{"".join(figures)}</div>'


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{_esc(title)}</h2>{body}</section>'


def render_report(
    title: str,
    metrics: Dict[str, object],
    curves: Sequence[dict] = (),
    per_class: Sequence[dict] = (),
    best: Sequence[GalleryItem] = (),
    worst: Sequence[GalleryItem] = (),
    notes: Optional[Dict[str, str]] = None,
) -> str:
    """The HTML page.

    Args:
        title (str): Page title (e.g. the config name).
        metrics (dict): The run's metrics.
        curves (Sequence[dict]): Curves files' content (box and/or mask).
        per_class (Sequence[dict]): See :func:`per_class_table`.
        best (Sequence[GalleryItem]): The best localized images.
        worst (Sequence[GalleryItem]): The worst localized images.
        notes (dict, optional): Section id -> a note under its title.

    Returns:
        str: The HTML document.
    """
    notes = notes or {}

    def note(sid: str) -> str:
        text = notes.get(sid)
        return f'<p class="note">{_esc(text)}</p>' if text else ''

    parts = [_section('metrics', 'Metrics', metrics_table(metrics))]
    if curves:
        uri = curves_data_uri(curves)
        img = f'<img class="curves" src="{uri}" alt="curves">'
        parts.append(_section('curves', 'Curves', note('curves') + img))
    else:
        parts.append(
            _section('curves', 'Curves', '<p class="note">No curves file.</p>')
        )
    if per_class:
        parts.append(
            _section(
                'per-class',
                'Per-class localization',
                note('per-class') + per_class_table(per_class),
            )
        )
    errors = error_rows(metrics)
    if errors:
        parts.append(
            _section(
                'error-analysis',
                'Error analysis (SPA)',
                note('error-analysis')
                + metrics_table({name: value for name, value in errors}),
            )
        )
    parts.append(
        _section('best', 'Best localized', note('best') + gallery(best))
    )
    parts.append(
        _section('worst', 'Worst localized', note('worst') + gallery(worst))
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{_esc(title)}</title><style>{_CSS}</style>'
        f'<script>{_SCRIPT}</script></head><body>'
        f'<header><h1>{_esc(title)}</h1>'
        f'<p>{_esc(notes.get("header", ""))}</p></header>'
        f'{"".join(parts)}</body></html>\n'
    )
