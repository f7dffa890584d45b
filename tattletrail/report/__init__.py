"""The report: the riskiest things in a window, who did them, and what failed or was denied.

    report = build_report(store, since, until)   # model.py: the content, from any Store
    render_text(report, tz) / render_html(report, tz) / report.to_json()

docs/report.md describes each section and the JSON structure.
"""

from tattletrail.report.model import Report, ReportItem, build_report

__all__ = ["Report", "ReportItem", "build_report"]
