"""The report: the riskiest things in a window, who did them, and what failed or was denied.

    report = build_report(store, since, until)   # gather.py: the content, from any Store
    render_text(report, tz) / render_html(report, tz) / report.to_json()

model.py holds the content, grouping.py makes items of sessions and ranks them, findings.py adds
what the aggregate checks saw, alarms.py what the checker says now, evidence.py where to look.
docs/report.md describes each section and the JSON structure.
"""

from tattletrail.report.gather import build_report
from tattletrail.report.model import Report, ReportItem

__all__ = ["Report", "ReportItem", "build_report"]
