"""Packet charts: PNG images from the chart specs of sop.packets.briefing.series.

Drawn with matplotlib's Agg canvas (no pyplot, no global backend switch), 600 CSS px wide at
2x (1200 x 520 px), then reduced to a small palette PNG: crisp on a phone, well under 80 KB.
The title and unit are not drawn into the image: the packet prints them above it, in the
packet's language; the legend and the axis labels follow the locale (Chinese needs a CJK
font: fonts-noto-cjk). Same spec and locale, same bytes.
"""

from __future__ import annotations

import io
import json
import threading
from functools import lru_cache

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from PIL import Image

from reports.i18n import Locale

WIDTH, HEIGHT, SCALE = 600, 260, 2  # CSS pixels, and device pixels per CSS pixel
COLORS = 64
INK, GRID, MUTED = "#1f2933", "#e4e7eb", "#616e7c"
STYLES = {
    "actual": {"color": "#1f3a5f", "linewidth": 2.2, "marker": "o", "markersize": 2.5},
    "budget": {"color": "#7b8794", "linewidth": 1.6, "linestyle": (0, (5, 3))},
    "forecast": {"color": "#d97706", "linewidth": 2.2, "marker": "o", "markersize": 2.5},
    "reference": {"color": "#b42318", "linewidth": 1.4, "linestyle": (0, (2, 2))},
}
PALETTE = ("#1f3a5f", "#d97706", "#2f855a", "#9b2c2c", "#6b46c1", "#0f766e", "#b7791f",
           "#7b8794")
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei")
_LOCK = threading.Lock()  # matplotlib's font cache is not thread-safe


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """A CJK font family matplotlib can use (registering the installed Noto CJK files that a
    font cache built before they were installed does not know), or None."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    for path in font_manager.findSystemFonts():
        name = path.rsplit("/", 1)[-1]
        if name.startswith(("NotoSansCJK", "NotoSansSC", "SourceHanSans", "wqy-zenhei")):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError):
                continue
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FAMILIES if f in known), None)


def _families(loc: Locale) -> list[str]:
    cjk = cjk_family() if loc.zh else None
    return [cjk, "DejaVu Sans"] if cjk else ["DejaVu Sans"]


def _amount(loc: Locale):
    def fmt(v: float, _pos: object = None) -> str:
        a = abs(v)
        if loc.zh:
            steps = ((1e8, "亿"), (1e4, "万"))
        else:
            steps = ((1e9, "B"), (1e6, "M"), (1e3, "K"))
        for size, suffix in steps:
            if a >= size:
                return f"{v / size:,.1f}".rstrip("0").rstrip(".") + suffix
        return f"{v:,.0f}" if a >= 10 or v == int(v) else f"{v:,.1f}"
    return fmt


def _tick(period: str, first: bool, loc: Locale) -> str:
    y, m = int(period[:4]), int(period[5:7])
    name = f"{m}月" if loc.zh else ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                    "Sep", "Oct", "Nov", "Dec")[m - 1]
    if first or m == 1:
        return f"{name}\n{y}年" if loc.zh else f"{name}\n{y}"
    return name


def _draw(spec: dict, loc: Locale) -> Figure:
    fig = Figure(figsize=(WIDTH / 100, HEIGHT / 100), dpi=100 * SCALE)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = list(range(len(spec["x"])))
    forecast_color = STYLES["forecast"]["color"]
    for band in sorted(spec.get("bands", []), key=lambda b: -b.get("level", 0)):
        pts = [(i, lo, hi) for i, lo, hi in zip(x, band["lo"], band["hi"], strict=True)
               if lo is not None and hi is not None]
        if pts:
            alpha = 0.14 if band.get("level", 0) >= 95 else 0.3
            ax.fill_between([p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts],
                            color=forecast_color, alpha=alpha, linewidth=0, label=band["label"])
    taken = {STYLES[s["style"]]["color"] for s in spec["series"] if s.get("style") in STYLES}
    plain = iter([c for c in PALETTE if c not in taken])
    for s in spec["series"]:
        style = dict(STYLES.get(s.get("style"), {}))
        if not style:
            style = {"color": next(plain, MUTED), "linewidth": 1.6}
        pts = [(i, v) for i, v in zip(x, s["values"], strict=True) if v is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=s["label"], **style)
    if spec.get("now") is not None:
        ax.axvline(spec["now"], color=MUTED, linewidth=0.8, linestyle=":")
    step = max(1, -(-len(x) // 12))
    ticks = x[::step]
    ax.set_xticks(ticks, [_tick(spec["x"][i], i == 0, loc) for i in ticks])
    ax.yaxis.set_major_formatter(FuncFormatter(_amount(loc)))
    ax.set_ylabel(spec["unit"], color=MUTED, fontsize=7)
    ax.tick_params(labelsize=7, colors=INK, length=2)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#9aa5b1")
    ax.set_xlim(-0.5, len(x) - 0.5)
    labels = ax.get_legend_handles_labels()[1]
    longest = max((len(label) * (2 if loc.zh else 1) for label in labels), default=0)
    ncol = 4 if longest <= 16 else 3 if longest <= 24 else 2
    rows = -(-len(labels) // ncol)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=ncol, frameon=False, fontsize=7,
              handlelength=2.2, borderaxespad=0.2, columnspacing=1.2)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.955 - 0.062 * rows, bottom=0.16)
    return fig


def _shrink(png: bytes) -> bytes:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=COLORS, method=Image.Quantize.MEDIANCUT,
                           dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=64)
def _png(spec_json: str, locale: str) -> bytes:
    loc, spec = Locale(locale), json.loads(spec_json)
    with _LOCK, rc_context({"font.family": "sans-serif", "font.sans-serif": _families(loc),
                            "axes.unicode_minus": False, "svg.hashsalt": "sop"}):
        fig = _draw(spec, loc)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return _shrink(buf.getvalue())


def chart_png(spec: dict, locale: Locale | str = "en") -> bytes:
    """The PNG of one chart spec (see sop.packets.briefing.series), labels already localized."""
    code = locale.code if isinstance(locale, Locale) else locale
    return _png(json.dumps(spec, sort_keys=True, allow_nan=False), code)


def chart_size() -> tuple[int, int]:
    """(width, height) of a chart in CSS pixels, as the packet's <img> tags state them."""
    return WIDTH, HEIGHT
