"""Rendering documents: HTML with interactive charts, PDF from the same HTML, XLSX tables.

A document is a Jinja2 template plus a context; charts are plotly figures. The HTML embeds
plotly.js once (no CDN, works offline). WeasyPrint does not run JavaScript, so the PDF gets the
same charts drawn as SVG by matplotlib from the figures' own data.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, select_autoescape

from shopkeeper.store.exports import inert_frame

# CJK first in the list would change Latin glyphs; these are tried in order for each character
FONT_STACK = ('"DejaVu Sans", "Noto Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", '
              '"Noto Sans SC", "Source Han Sans SC", sans-serif')


def _environment(package: str) -> Environment:
    return Environment(loader=PackageLoader(package, "templates"),
                       autoescape=select_autoescape(["html"]))


def render_html(package: str, template: str, context: dict[str, Any],
                charts: dict[str, go.Figure], *, static: bool = False) -> str:
    """The template of ``package/templates`` rendered with ``context``; ``charts`` are
    available as ``charts[name]``: plotly divs, or inline SVG when ``static`` (for PDF)."""
    import plotly.offline

    if static:
        rendered = {name: figure_to_svg(fig) for name, fig in charts.items()}
        script = ""
    else:
        rendered = {name: fig.to_html(full_html=False, include_plotlyjs=False,
                                      config={"displaylogo": False, "responsive": True})
                    for name, fig in charts.items()}
        script = plotly.offline.get_plotlyjs()
    return _environment(package).get_template(template).render(
        **context, charts=rendered, plotly_js=script, static=static, font_stack=FONT_STACK)


def write_pdf(html: str, path: str | Path) -> Path:
    """Render ``html`` (use ``static=True`` charts) to a PDF with WeasyPrint."""
    import weasyprint

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=html).write_pdf(path)
    return path


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """One sheet per table, with frozen headers and readable column widths."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, df in sheets.items():
            inert_frame(df).to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            sheet.freeze_panes = "A2"
            for i, col in enumerate(df.columns, start=1):
                width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)]) + 2
                sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(width, 50)
    return path


def write_text(text: str, path: str | Path) -> Path:
    """Write UTF-8 text, creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _draw(fig: go.Figure, width: float, height: float):
    """The figure's line, band and bar traces drawn by matplotlib, one panel per y axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = _chart_fonts()
    panels = sorted({getattr(t, "yaxis", None) or "y" for t in fig.data},
                    key=lambda a: int(a[1:] or 1))
    figure, axes = plt.subplots(len(panels), 1, figsize=(width, height * len(panels)),
                                sharex=True, squeeze=False)
    axes_of = {name: axes[i][0] for i, name in enumerate(panels)}
    for trace in fig.data:
        ax = axes_of[getattr(trace, "yaxis", None) or "y"]
        name = trace.name or None
        color = _trace_color(trace)
        if trace.type == "bar":
            horizontal = trace.orientation == "h"
            values, labels = (trace.x, trace.y) if horizontal else (trace.y, trace.x)
            dates = pd.api.types.is_datetime64_any_dtype(pd.Series(list(labels)))
            labels = pd.to_datetime(list(labels)) if dates else [str(v) for v in labels]
            width_kw = {"width": 5.0} if dates else {}  # days, for weekly bars on a date axis
            base = trace.base if trace.base is not None else 0
            colors = trace.marker.color if trace.marker and trace.marker.color is not None \
                else color
            if horizontal:
                ax.barh(labels, values, left=base, color=colors, label=name)
            else:
                ax.bar(labels, values, bottom=base, color=colors, label=name, **width_kw)
        elif trace.type == "scatter":
            x = list(trace.x)
            if pd.api.types.is_datetime64_any_dtype(pd.Series(x)):
                x = pd.to_datetime(x)
            if trace.fill == "toself":  # an interval band drawn as a closed outline
                ax.fill(x, list(trace.y), color=_rgba(trace.fillcolor), label=name, linewidth=0)
                continue
            style = "o" if trace.mode == "markers" else "-"
            ax.plot(x, list(trace.y), style, color=color, label=name,
                    markersize=6 if style == "o" else None, linewidth=1.5)
    title = fig.layout.title.text if fig.layout.title else None
    if title:
        axes[0][0].set_title(title, fontsize=10)
    for row in axes:
        ax = row[0]
        if len([line for line in ax.get_legend_handles_labels()[1] if line]) > 1:
            ax.legend(fontsize=7, frameon=False)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    if any(t.type == "scatter" for t in fig.data):
        figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def figure_to_svg(fig: go.Figure, width: float = 7.0, height: float = 2.8) -> str:
    """The figure drawn by matplotlib as an SVG string (for PDFs, which run no JavaScript)."""
    import matplotlib.pyplot as plt

    figure = _draw(fig, width, height)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def write_png(fig: go.Figure, path: str | Path, width: float = 9.0, height: float = 3.6) -> Path:
    """The figure as a PNG image (for chat, slides and e-mail), drawn by matplotlib."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = _draw(fig, width, height)
    figure.savefig(path, format="png", dpi=130)
    plt.close(figure)
    return path


def _rgba(color: str | None) -> tuple[float, float, float, float] | str | None:
    """Plotly's ``rgba(31,119,180,0.2)`` as a matplotlib colour."""
    if not color or not color.startswith("rgba("):
        return color
    r, g, b, a = (float(v) for v in color[5:-1].split(","))
    return (r / 255, g / 255, b / 255, a)


CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")


@functools.lru_cache(maxsize=1)
def _chart_fonts() -> list[str]:
    """DejaVu Sans for Latin, then the first CJK font the system has (added to matplotlib's
    list if it was installed after matplotlib built its font cache)."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if not known & set(CJK_FONTS):
        for path in font_manager.findSystemFonts():
            if any(k in path.lower() for k in ("wqy", "notosanscjk", "noto-cjk", "sourcehan")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError):  # a font file matplotlib cannot read
                    continue
        known = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *[f for f in CJK_FONTS if f in known]]


def _trace_color(trace: Any) -> str | None:
    if getattr(trace, "line", None) is not None and trace.line.color:
        return trace.line.color
    marker = getattr(trace, "marker", None)
    if marker is not None and isinstance(marker.color, str):
        return marker.color
    return None
