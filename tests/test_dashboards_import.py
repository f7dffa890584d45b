"""`tattletrail dashboards import` against a local HTTP server that answers like the saved-objects
`_import` API of OpenSearch Dashboards / Kibana: it reads the multipart upload, insists on the XSRF
header and the .ndjson extension, resolves references inside the upload, and says 503 while it
starts. No Dashboards binary here; the server checks what Dashboards checks."""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from tattletrail.cli import app
from tattletrail.dashboards import FLAVORS, DashboardsImportError, Target, import_objects

ROOT = Path(__file__).resolve().parents[1]
OPENSEARCH_FILE = ROOT / "kibana" / "opensearch-dashboards.ndjson"
IMPORT_PATH = "/api/saved_objects/_import"


class FakeDashboards:
    """The `_import` endpoint's observable behaviour: status codes and body shapes as Dashboards 2.x
    and Kibana 7.10 send them. `not_ready` answers 503 that many times first, as during startup."""

    def __init__(self, xsrf_header: str, not_ready: int = 0) -> None:
        self.xsrf_header, self.not_ready = xsrf_header, not_ready
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: Request) -> Response:
        self.requests.append({"headers": dict(request.headers), "args": dict(request.args),
                              "files": {name: (upload.filename, upload.read()) for name, upload in request.files.items()}})
        if self.not_ready:
            self.not_ready -= 1
            return Response("OpenSearch Dashboards server is not ready yet", status=503)
        if request.headers.get(self.xsrf_header) is None:
            return _error(400, f"Request must contain a {self.xsrf_header} header.")
        if not request.content_type.startswith("multipart/form-data") or "file" not in request.files:
            return _error(400, "[request body.file]: expected value of type [Stream] but got [undefined]")
        filename, content = self.requests[-1]["files"]["file"]
        if not filename.endswith(".ndjson"):
            return _error(400, f"Invalid file extension {Path(filename).suffix}")
        return Response(json.dumps(_import_outcome([json.loads(line) for line in content.splitlines() if line])),
                        status=200, content_type="application/json")


def _import_outcome(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """As the API does: an object whose references are neither in the upload nor stored is refused
    with missing_references (this server stores nothing), the rest are imported."""
    present = {(item["type"], item["id"]) for item in objects}
    errors, imported = [], []
    for item in objects:
        missing = [{"type": ref["type"], "id": ref["id"]} for ref in item.get("references", [])
                   if (ref["type"], ref["id"]) not in present]
        meta = {"title": item["attributes"].get("title")}
        if missing:
            errors.append({"id": item["id"], "type": item["type"], "title": meta["title"], "meta": meta,
                           "error": {"type": "missing_references", "references": missing}})
        else:
            imported.append({"type": item["type"], "id": item["id"], "meta": meta})
    answer: dict[str, Any] = {"successCount": len(imported), "success": not errors, "successResults": imported}
    if errors:
        answer["errors"] = errors
    return answer


def _error(status: int, message: str) -> Response:
    body = {"statusCode": status, "error": "Bad Request" if status == 400 else "Error", "message": message}
    return Response(json.dumps(body), status=status, content_type="application/json")


def serve(httpserver: HTTPServer, dashboards: FakeDashboards, path: str = IMPORT_PATH) -> None:
    httpserver.expect_request(path, method="POST").respond_with_handler(dashboards)


class FakeClock:
    """Time passes only when the importer sleeps."""

    def __init__(self) -> None:
        self.now, self.pauses = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def test_import_uploads_the_ndjson_as_a_multipart_file_with_the_xsrf_header(httpserver: HTTPServer):
    dashboards = FakeDashboards("osd-xsrf")
    serve(httpserver, dashboards)
    ndjson = OPENSEARCH_FILE.read_text(encoding="utf-8")
    result = import_objects(Target(httpserver.url_for("/"), FLAVORS["opensearch"]), ndjson)
    assert result.success and result.success_count == len(ndjson.splitlines()) and result.refused == []
    [seen] = dashboards.requests
    assert seen["args"] == {"overwrite": "true"}
    assert seen["headers"]["Osd-Xsrf"] == "true" and "Authorization" not in seen["headers"]
    assert seen["files"]["file"] == ("tattletrail.ndjson", ndjson.encode())


def test_kibana_gets_kbn_xsrf_and_the_space_in_the_path(httpserver: HTTPServer):
    dashboards = FakeDashboards("kbn-xsrf")
    serve(httpserver, dashboards, path=f"/s/security-team{IMPORT_PATH}")
    ndjson = (ROOT / "kibana" / "kibana-8.ndjson").read_text(encoding="utf-8")
    result = import_objects(Target(httpserver.url_for("/"), FLAVORS["kibana8"], space="security-team"), ndjson)
    assert result.success and dashboards.requests[0]["headers"]["Kbn-Xsrf"] == "true"


def test_a_missing_reference_is_reported_per_object(httpserver: HTTPServer):
    serve(httpserver, FakeDashboards("osd-xsrf"))
    without_index_pattern = "".join(line + "\n" for line in OPENSEARCH_FILE.read_text(encoding="utf-8").splitlines()
                                    if json.loads(line)["type"] != "index-pattern")
    result = import_objects(Target(httpserver.url_for("/"), FLAVORS["opensearch"]), without_index_pattern)
    assert not result.success and result.success_count == 1  # the dashboard; everything else needs the pattern
    assert {item.type for item in result.refused} == {"search", "visualization"}
    assert all(item.reason == "missing_references: index-pattern tattletrail-events" for item in result.refused)
    assert result.refused[0].title.startswith("Tattletrail: ")


def test_dashboards_starting_up_is_waited_for(httpserver: HTTPServer):
    dashboards, clock = FakeDashboards("osd-xsrf", not_ready=3), FakeClock()
    serve(httpserver, dashboards)
    result = import_objects(Target(httpserver.url_for("/"), FLAVORS["opensearch"]),
                            OPENSEARCH_FILE.read_text(encoding="utf-8"), wait=60, sleep=clock.sleep, clock=clock)
    assert result.success and result.attempts == 4 and clock.pauses == [1.0, 2.0, 4.0]


def test_connection_refused_is_retried_until_the_deadline_then_said_plainly():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = FakeClock()
    with pytest.raises(DashboardsImportError) as raised:
        import_objects(Target(f"http://127.0.0.1:{port}", FLAVORS["opensearch"]), "{}\n",
                       wait=30, sleep=clock.sleep, clock=clock)
    assert clock.pauses == [1.0, 2.0, 4.0, 8.0, 10.0] and clock.now <= 30
    assert "gave up after 6 attempt(s)" in str(raised.value) and f"127.0.0.1:{port}" in str(raised.value)
    assert "--wait" in str(raised.value)


def test_a_refused_request_is_final_not_retried(httpserver: HTTPServer):
    dashboards, clock = FakeDashboards("osd-xsrf"), FakeClock()
    serve(httpserver, dashboards)
    with pytest.raises(DashboardsImportError, match="Request must contain a osd-xsrf header"):
        import_objects(Target(httpserver.url_for("/"), FLAVORS["kibana7"]), "{}\n", sleep=clock.sleep, clock=clock)
    assert len(dashboards.requests) == 1 and clock.pauses == []


def test_unauthorized_says_which_credentials_to_give(httpserver: HTTPServer):
    httpserver.expect_request(IMPORT_PATH, method="POST").respond_with_json(
        {"statusCode": 401, "error": "Unauthorized", "message": "Authentication required"}, status=401)
    with pytest.raises(DashboardsImportError, match="401: Authentication required; give --user"):
        import_objects(Target(httpserver.url_for("/"), FLAVORS["opensearch"]), "{}\n")


def test_cli_import_prints_the_summary_and_sends_credentials_from_the_environment(httpserver: HTTPServer):
    dashboards = FakeDashboards("osd-xsrf")
    serve(httpserver, dashboards)
    result = CliRunner().invoke(app, ["dashboards", "import", "--url", httpserver.url_for("/"), "--json"],
                                env={"TATTLETRAIL_DASHBOARDS_USER": "admin", "TATTLETRAIL_DASHBOARDS_PASSWORD": "s3cret"})
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["success"] is True and summary["errors"] == []
    assert summary["successCount"] == len(OPENSEARCH_FILE.read_text(encoding="utf-8").splitlines())
    sent = dashboards.requests[0]
    assert sent["headers"]["Authorization"] == "Basic " + base64.b64encode(b"admin:s3cret").decode()
    assert sent["files"]["file"][1] == OPENSEARCH_FILE.read_bytes(), "the CLI imports what export writes"


def test_cli_import_exits_1_and_lists_the_refused_objects(httpserver: HTTPServer, tmp_path: Path):
    serve(httpserver, FakeDashboards("osd-xsrf"))
    broken = tmp_path / "broken.ndjson"
    broken.write_text(json.dumps({"type": "search", "id": "lonely", "attributes": {"title": "Lonely"},
                                  "references": [{"name": "x", "type": "index-pattern", "id": "gone"}]}) + "\n")
    result = CliRunner().invoke(app, ["dashboards", "import", "--url", httpserver.url_for("/"), "--file", str(broken)])
    assert result.exit_code == 1
    assert "0 object(s) imported" in result.stdout and "1 refused" in result.stdout
    assert "missing_references: index-pattern gone" in result.stdout


def test_cli_import_says_in_one_line_when_dashboards_cannot_be_reached():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(app, ["dashboards", "import", "--url", f"http://127.0.0.1:{port}", "--wait", "0"])
    assert result.exit_code == 2 and "error: gave up after 1 attempt(s)" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("url", ["localhost:5601", "ftp://dashboards:5601", "http://"])
def test_a_url_without_http_scheme_and_host_is_refused_before_any_request(url: str):
    with pytest.raises(DashboardsImportError, match="with its scheme"):
        import_objects(Target(url, FLAVORS["opensearch"]), "{}\n", wait=0)
