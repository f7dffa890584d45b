"""AWS SES email: an HTML part and a text part saying what the Slack message says."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape

from tattletrail.alert import Alert
from tattletrail.destinations.aws import aws_client, delivery_error
from tattletrail.destinations.content import AlertSummary, plain_text, summarize
from tattletrail.destinations.settings import SesSettings
from tattletrail.destinations.templates import render

# Inline styles only: most mail clients drop <style> blocks.
_HTML = Environment(autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True).from_string("""\
<!doctype html>
<html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d1c1d;margin:0;padding:16px">
<div style="border-left:6px solid {{ s.colour }};padding:4px 0 4px 14px;max-width:900px">
<h2 style="margin:0 0 8px 0;font-size:18px">{{ s.headline }}</h2>
<p style="margin:0 0 8px 0;font-weight:bold">{{ s.lead }}</p>
{% if s.description %}<p style="margin:0 0 8px 0">{{ s.description }}</p>{% endif %}
<table style="border-collapse:collapse;margin:8px 0">
{% for label, value in s.facts %}
<tr><td style="padding:2px 12px 2px 0;color:#616061;vertical-align:top">{{ label }}</td><td style="padding:2px 0">{{ value }}</td></tr>
{% endfor %}
</table>
{% if s.sample_lines %}
<pre style="background:#f8f8f8;border:1px solid #e8e8e8;padding:8px;font-size:12px;white-space:pre-wrap">
{% for line in s.sample_lines %}{{ line }}
{% endfor %}</pre>
{% endif %}
{% if s.more %}<p style="margin:4px 0;color:#616061">… and {{ s.more }} more matching event{{ "s" if s.more != 1 }}</p>{% endif %}
{% if s.explore_url %}<p><a href="{{ s.explore_url }}">Explore these events</a></p>
{% elif s.explore_command %}<p>Explore: <code>{{ s.explore_command }}</code></p>{% endif %}
<p style="color:#868686;font-size:12px;margin-top:16px">Tattletrail · {{ kind }} · alert {{ alert_id }}</p>
</div></body></html>
""")


class SesDestination:
    def __init__(self, name: str, settings: SesSettings) -> None:
        self.name = name
        self.settings = settings
        self._client: Any = None

    def send(self, alert: Alert) -> None:
        message = ses_message(alert, self.settings)
        if self._client is None:
            self._client = aws_client("ses", self.settings.region, self.settings.endpoint_url, self.settings.timeout)
        try:
            self._client.send_email(Source=self.settings.sender, Destination={"ToAddresses": list(self.settings.to)},
                                    Message=message)
        except Exception as error:  # noqa: BLE001 - every botocore failure becomes a DeliveryError
            raise delivery_error(error, "SES") from None


def ses_message(alert: Alert, settings: SesSettings) -> dict[str, Any]:
    summary = summarize(alert, settings.max_samples)
    subject = render(settings.subject, alert) if settings.subject else summary.headline
    text = render(settings.template, alert) if settings.template else plain_text(summary)
    html = render(settings.html_template, alert, html=True) if settings.html_template else html_body(summary, alert)
    return {"Subject": {"Data": " ".join(subject.split())[:200], "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}}}


def html_body(summary: AlertSummary, alert: Alert) -> str:
    return _HTML.render(s=summary, kind=alert.kind, alert_id=alert.alert_id)
