"""HTTP as users of HTTP clients expect it (tattletrail.httpclient on requests): a private CA
(`ca_certs`, REQUESTS_CA_BUNDLE), proxies from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY),
one connection reused across a burst of alerts — against a real local HTTPS server with its own CA
(trustme) and a real local forward proxy."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer

from tattletrail.config import ConfigError, load_config
from tattletrail.dashboards import FLAVORS, Target, import_objects
from tattletrail.destinations.base import DeliveryError
from tattletrail.destinations.settings import WebhookSettings
from tattletrail.destinations.webhook import WebhookDestination
from tests.destination_alerts import route_deleted_alert
from tests.http_proxy import ForwardProxy
from tests.test_dashboards_import import FakeDashboards, serve

TOKEN_PATH = "/hooks/T0001/B0002/xyzSECRETxyz"
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own proxy or CA settings must not decide these tests."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def https_server(ca: trustme.CA) -> Iterator[HTTPServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    server = HTTPServer(ssl_context=context, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as running:
        yield running


def webhook(url: str, **settings: object) -> WebhookDestination:
    return WebhookDestination("hook", WebhookSettings(type="webhook", url=url, attempts=1, timeout=5, **settings))


def test_a_private_ca_named_by_ca_certs_is_trusted(https_server: HTTPServer, ca_file: Path):
    https_server.expect_request(TOKEN_PATH, method="POST").respond_with_data("ok")
    webhook(https_server.url_for(TOKEN_PATH), ca_certs=ca_file).send(route_deleted_alert())
    assert len(https_server.log) == 1


def test_an_untrusted_certificate_is_a_retriable_error_naming_the_host_and_the_fix_never_the_path(
        https_server: HTTPServer):
    https_server.expect_request(TOKEN_PATH, method="POST").respond_with_data("ok")
    with pytest.raises(DeliveryError) as raised:
        webhook(https_server.url_for(TOKEN_PATH)).send(route_deleted_alert())
    message = str(raised.value)
    assert raised.value.retriable and "TLS with localhost failed: certificate verify failed" in message
    assert "ca_certs" in message and "xyzSECRETxyz" not in message and "/hooks" not in message
    assert https_server.log == []


def test_requests_ca_bundle_from_the_environment_is_honoured(https_server: HTTPServer, ca_file: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    https_server.expect_request(TOKEN_PATH, method="POST").respond_with_data("ok")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    webhook(https_server.url_for(TOKEN_PATH)).send(route_deleted_alert())
    assert len(https_server.log) == 1


def test_https_proxy_from_the_environment_tunnels_the_alert(https_server: HTTPServer, ca_file: Path,
                                                            proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch):
    https_server.expect_request(TOKEN_PATH, method="POST").respond_with_data("ok")
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    webhook(https_server.url_for(TOKEN_PATH), ca_certs=ca_file).send(route_deleted_alert())
    assert proxy.seen == [f"CONNECT localhost:{https_server.port}"]
    assert len(https_server.log) == 1, "the alert arrived through the tunnel"


def test_no_proxy_sends_straight_to_the_destination(https_server: HTTPServer, ca_file: Path,
                                                    proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch):
    https_server.expect_request(TOKEN_PATH, method="POST").respond_with_data("ok")
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    webhook(https_server.url_for(TOKEN_PATH), ca_certs=ca_file).send(route_deleted_alert())
    assert proxy.seen == [] and len(https_server.log) == 1


def test_plain_http_goes_through_http_proxy(httpserver: HTTPServer, proxy: ForwardProxy,
                                           monkeypatch: pytest.MonkeyPatch):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    webhook(httpserver.url_for("/hook")).send(route_deleted_alert())
    assert proxy.seen == [f"POST http://localhost:{httpserver.port}/hook"] and len(httpserver.log) == 1


def test_a_proxy_that_is_down_is_a_retriable_error_naming_the_host(proxy: ForwardProxy,
                                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")   # discard port: nothing listens
    with pytest.raises(DeliveryError) as raised:
        webhook("https://hooks.example.com" + TOKEN_PATH).send(route_deleted_alert())
    assert raised.value.retriable and str(raised.value).startswith("the proxy for hooks.example.com failed")
    assert "xyzSECRETxyz" not in str(raised.value)


class KeepAliveReceiver(ThreadingHTTPServer):
    """A webhook receiver that keeps connections open, as real ones do (werkzeug's test server
    closes every connection), and notes the client port of every POST."""

    daemon_threads = True

    def __init__(self) -> None:
        ports: list[int] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                ports.append(self.client_address[1])
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.client_ports = ports
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_a_burst_of_alerts_to_one_destination_reuses_one_connection():
    receiver = KeepAliveReceiver()
    try:
        destination = webhook(f"http://127.0.0.1:{receiver.server_address[1]}{TOKEN_PATH}")
        for _ in range(5):
            destination.send(route_deleted_alert())
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert len(receiver.client_ports) == 5 and len(set(receiver.client_ports)) == 1, receiver.client_ports


def test_dashboards_import_trusts_a_private_ca(https_server: HTTPServer, ca_file: Path):
    dashboards = FakeDashboards("osd-xsrf")
    serve(https_server, dashboards)
    target = Target(https_server.url_for("/"), FLAVORS["opensearch"], ca_certs=str(ca_file))
    result = import_objects(target, '{"type": "index-pattern", "id": "x", "attributes": {"title": "x"}}\n', wait=0)
    assert result.success and result.success_count == 1 and len(dashboards.requests) == 1


def test_ca_certs_that_does_not_exist_is_a_config_error_naming_the_line(tmp_path: Path):
    config = tmp_path / "tattletrail.yml"
    config.write_text("destinations:\n  hook:\n    type: webhook\n    url: https://hooks.example.com/x\n"
                      "    ca_certs: /no/such/ca.pem\n")
    with pytest.raises(ConfigError, match=r"tattletrail.yml:5: destinations.hook.ca_certs: .*/no/such/ca.pem: no such file"):
        load_config(config)
