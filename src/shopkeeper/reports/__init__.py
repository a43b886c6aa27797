"""Rendering: charts (and, later, HTML/PDF/XLSX reports). Capabilities hand it data frames."""

from shopkeeper.reports.charts import demand_chart, write_html

__all__ = ["demand_chart", "write_html"]
