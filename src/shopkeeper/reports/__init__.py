"""Rendering: charts and HTML/PDF/XLSX documents. Capabilities hand it data frames and figures."""

from shopkeeper.reports.charts import demand_chart, table_chart, write_html
from shopkeeper.reports.documents import figure_to_svg, write_png

__all__ = ["demand_chart", "figure_to_svg", "table_chart", "write_html", "write_png"]
