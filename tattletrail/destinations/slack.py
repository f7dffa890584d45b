"""Slack incoming webhook: a Block Kit message in an attachment coloured by status.

Slack refuses a message with more than 50 blocks, a header over 150 characters or a section over
3,000; rather than fail, long content is cut and summarized ("… and 190 more").
"""

from __future__ import annotations

from typing import Any

import orjson

from tattletrail.alert import Alert
from tattletrail.destinations import http
from tattletrail.destinations.content import AlertSummary, summarize
from tattletrail.destinations.settings import SlackSettings
from tattletrail.destinations.templates import render
from tattletrail.httpclient import HttpClient

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_SAMPLE_SECTIONS = 3    # ~90 lines: a screenful; Slack also caps a message's total text; the explore link has the rest
MAX_LINE = 400


class SlackDestination:
    def __init__(self, name: str, settings: SlackSettings) -> None:
        self.name = name
        self.settings = settings
        self._client = HttpClient(settings.ca_certs)  # one session: a burst of alerts reuses the connection

    def send(self, alert: Alert) -> None:
        message = slack_message(alert, self.settings)
        url = self.settings.secret_source("url").reveal()  # type: ignore[union-attr]  # required at load
        http.post(self._client, url, orjson.dumps(message), {"Content-Type": "application/json"}, self.settings.timeout)


def slack_message(alert: Alert, settings: SlackSettings) -> dict[str, Any]:
    summary = summarize(alert, settings.max_samples)
    text = render(settings.template, alert) if settings.template else _default_text(summary)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(f"{summary.mark} {summary.headline}", MAX_HEADER),
                                    "emoji": True}},
        _section(text),
    ]
    if summary.facts:
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": cut(f"*{label}*\n{escape(value)}", MAX_FIELD)}
            for label, value in summary.facts[:MAX_FIELDS]]})
    tail = _explore_blocks(summary) + [_footer(alert)]
    room = MAX_BLOCKS - len(blocks) - len(tail) - 1   # one for the "and N more" line
    sample_blocks, unshown = _sample_blocks(summary.sample_lines, min(room, MAX_SAMPLE_SECTIONS))
    blocks += sample_blocks
    more = summary.more + unshown
    if more:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"… and {more} more matching event{'s' if more != 1 else ''}"}]})
    blocks += tail
    return {"text": cut(summary.headline, MAX_SECTION),
            "attachments": [{"color": summary.colour, "fallback": cut(summary.headline, MAX_SECTION),
                             "blocks": blocks[:MAX_BLOCKS]}]}


def _default_text(summary: AlertSummary) -> str:
    text = f"*{escape(summary.lead)}*"
    if summary.description:
        text += f"\n{escape(summary.description)}"
    return text


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, MAX_SECTION)}}


def _sample_blocks(lines: tuple[str, ...], max_sections: int) -> tuple[list[dict[str, Any]], int]:
    """Sample lines in preformatted sections of at most 3,000 characters; returns the lines left out."""
    sections: list[list[str]] = []
    size = 0
    fence = len("```\n\n```")
    for index, line in enumerate(lines):
        line = escape(cut(line, MAX_LINE)).replace("```", "'''")
        if not sections or size + len(line) + 1 + fence > MAX_SECTION:
            if len(sections) == max_sections:
                return [_section("```\n" + "\n".join(chunk) + "\n```") for chunk in sections], len(lines) - index
            sections.append([])
            size = 0
        sections[-1].append(line)
        size += len(line) + 1
    return [_section("```\n" + "\n".join(chunk) + "\n```") for chunk in sections], 0


def _explore_blocks(summary: AlertSummary) -> list[dict[str, Any]]:
    link = summary.explore_url
    if link and len(link) < MAX_SECTION - 40:
        link = link.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
        return [_section(f"<{link}|Explore these events>")]
    if summary.explore_command:
        command = escape(cut(summary.explore_command, MAX_SECTION - 20)).replace("`", "'")
        return [_section(f"Explore: `{command}`")]
    return []


def _footer(alert: Alert) -> dict[str, Any]:
    when = alert.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") if alert.created_at else ""
    text = " · ".join(part for part in ("Tattletrail", alert.kind, f"alert {alert.alert_id}", when) if part)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def escape(text: str) -> str:
    """Slack mrkdwn's three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
