"""The HTML report checked as a person would: opened in headless Chromium (Debian's package), it
renders with no console message, the top incident is the first item and is on screen at
1280×900, and the file needs nothing from the network."""

from __future__ import annotations

import dataclasses
import json
import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tattletrail.report import Report
from tattletrail.report.charts import LEVEL_COLOURS
from tattletrail.report.html import render_html
from tattletrail.timespec import zone
from tests.test_report import report, store_url  # noqa: F401  (the shared, session-scoped fixtures)

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium; "
    ".ci/run installs it)")
WINDOW = (1280, 900)
WIDTHS = (1400, 800)  # a laptop and a narrow window (or a tablet)
# Measures the rendered page as a reader sees it and writes what is wrong into the DOM: text that
# spills out of its item cell, a page wider than the window, a table without a heading.
AUDIT = """<script>
window.addEventListener("load", () => {
  const problems = [];
  for (const cell of document.querySelectorAll("table.items td")) {
    for (const part of [cell, ...cell.querySelectorAll("*")]) {
      if (part.scrollWidth > part.clientWidth + 1 && getComputedStyle(part).overflow === "visible"
          && part.clientWidth > 0) {
        problems.push("overflow: " + part.textContent.trim().slice(0, 60));
      }
      const box = part.getBoundingClientRect(), edge = cell.getBoundingClientRect();
      if (box.width && (box.right > edge.right + 1 || box.left < edge.left - 1)) {
        problems.push("outside its cell: " + part.textContent.trim().slice(0, 60));
      }
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push("page wider than the window: " + document.documentElement.scrollWidth);
  }
  for (const table of document.querySelectorAll("table")) {
    const caption = table.querySelector("caption");
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (!caption || !caption.textContent.trim() || !heads.length || heads.some((text) => !text)) {
      problems.push("table without a heading: " + table.outerHTML.slice(0, 80));
    }
  }
  const out = document.createElement("pre");
  out.id = "audit";
  out.textContent = JSON.stringify(problems);
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="module")
def page(report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    path = tmp_path_factory.mktemp("report-html") / "report.html"
    shown = dataclasses.replace(report, items=report.items[:25], more_items=max(0, len(report.items) - 25))
    path.write_text(render_html(shown, zone("UTC")), encoding="utf-8")
    return path


def chromium(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on a file URL, with a profile of its own (runs never share a lock)."""
    profile = page.parent / f"profile-{len(args)}-{abs(hash(args))}"
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True)


def console_messages(stderr: str) -> list[str]:
    """What the page said on its console: Chromium's `--enable-logging=stderr` prints each message as
    `[…:INFO:CONSOLE:line] "text", source: …` whatever its level. The report has no script, so any
    message at all (a CSP violation, an error) means something is wrong."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


class Items(HTMLParser):
    """The item rows of the rendered DOM, in order, by their data attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str | None]] = []
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("class") == "item":
            self.rows.append(found)
        if tag == "section" and found.get("id"):
            self.sections.append(found["id"] or "")


def test_the_html_is_one_file_that_needs_no_network(page: Path) -> None:
    html = page.read_text()
    assert "<script" not in html and "src=" not in html
    assert re.findall(r'href="([^"]*)"', html) == ["data:,"]
    assert set(re.findall(r"https?://[^\s\"'<)]+", html)) == {"http://www.w3.org/2000/svg"}  # a namespace name
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 3  # threats per hour, actors, regions


def audited(page: Path, name: str) -> Path:
    """The page with the audit script (and the CSP that forbids scripts removed), beside it."""
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    copy = page.parent / name
    copy.write_text(html.replace("</body>", AUDIT + "</body>"), encoding="utf-8")
    return copy


def audit(page: Path, width: int) -> list[str]:
    dom = chromium(page, "--dump-dom", f"--window-size={width},1200", "--virtual-time-budget=5000").stdout
    found = re.search(r'<pre id="audit">(.*?)</pre>', dom, re.S)
    assert found, "the audit script did not run"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
                      .replace("&amp;", "&"))


@needs_chromium
@pytest.mark.parametrize("width", WIDTHS)
def test_no_item_text_overflows_and_every_table_is_headed(page: Path, width: int) -> None:
    assert audit(audited(page, f"audited-{width}.html"), width) == []


@needs_chromium
def test_the_audit_sees_an_overflow_and_a_table_without_heading(page: Path) -> None:
    html = page.read_text().replace('.items td { font-size: 13px;', '.items td { white-space: nowrap; font-size: 13px;')
    html = html.replace("</main>", "<table><tr><td>1</td></tr></table></main>")
    broken = page.parent / "broken-layout.html"
    broken.write_text(html, encoding="utf-8")
    problems = audit(audited(broken, "broken-audited.html"), 800)
    assert any(problem.startswith(("overflow", "outside its cell", "page wider")) for problem in problems)
    assert any(problem.startswith("table without a heading") for problem in problems)


@needs_chromium
@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_at_laptop_and_narrow_widths_show_the_top_item(page: Path, report: Report,  # noqa: F811
                                                                   width: int) -> None:
    shot = page.parent / f"report-{width}.png"
    chromium(page, f"--screenshot={shot}", f"--window-size={width},1000")
    shown_width, height, pixels = decode_png(shot.read_bytes())
    assert (shown_width, height) == (width, 1000)
    badge = bytes.fromhex(LEVEL_COLOURS[report.items[0].level][1:])
    rows = [index // width for index, pixel in enumerate(pixels) if pixel == badge]
    assert rows and min(rows) < height // 2, f"no {report.items[0].level} badge in the upper half at {width} px"


@needs_chromium
def test_chromium_renders_the_route_deletion_as_the_first_item(page: Path, report: Report) -> None:  # noqa: F811
    dom = chromium(page, "--dump-dom").stdout
    items = Items()
    items.feed(dom)
    first = items.rows[0]
    assert (first["data-event-name"], first["data-actor"], first["data-level"]) == (
        "DeleteRoute", "DOE1", report.items[0].level)
    assert len(items.rows) == min(25, len(report.items))
    assert items.sections[:2] == ["items", "timeline"], "the incidents come before the charts"
    assert "by DOE1 at 22 Nov 16:42 UTC from 203.0.113.7" in dom
    assert dom.count("<summary>show its events</summary>") == len(items.rows) and "tattletrail search --store duckdb://" in dom


@needs_chromium
def test_chromium_prints_no_console_message(page: Path, tmp_path: Path) -> None:
    said = chromium(page, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert console_messages(said.stderr) == []
    broken = tmp_path / "broken.html"  # the same check on a page with an error: it must see it
    broken.write_text('<!DOCTYPE html><p>x</p><script>console.error("report-broken")</script>')
    said = chromium(broken, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert any("report-broken" in line for line in console_messages(said.stderr))


@needs_chromium
def test_the_screenshot_shows_the_top_incident_above_the_fold(page: Path, report: Report) -> None:  # noqa: F811
    shot = page.parent / "report.png"
    chromium(page, f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}")
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == WINDOW
    greys = [sum(pixel) // 3 for pixel in pixels[:: 97]]
    mean = sum(greys) / len(greys)
    assert sum((grey - mean) ** 2 for grey in greys) / len(greys) > 100, "the screenshot is blank"
    # The first item's level badge is drawn in its level's colour, in the top half of the screen.
    badge = bytes.fromhex(LEVEL_COLOURS[report.items[0].level][1:])
    rows = [index // width for index, pixel in enumerate(pixels) if pixel == badge]
    assert rows and min(rows) < height // 2, f"no {report.items[0].level} badge on screen"


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += [body] if kind == b"IDAT" else []
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    step = 3 if colour == 2 else 4
    rows = unfilter(zlib.decompress(b"".join(chunks)), width * step, height, step)
    return width, height, [bytes(row[x:x + 3]) for row in rows for x in range(0, width * step, step)]


def unfilter(raw: bytes, stride: int, height: int, step: int) -> list[bytearray]:
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = row[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                row[x] = (row[x] + left) & 0xFF
            elif kind == 2:
                row[x] = (row[x] + up) & 0xFF
            elif kind == 3:
                row[x] = (row[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                row[x] = (row[x] + near[2]) & 0xFF
        rows.append(row)
        previous = row
    return rows
