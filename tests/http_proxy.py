"""A real forward proxy on 127.0.0.1 for the proxy tests: CONNECT tunnels (HTTPS) and absolute-form
requests (plain HTTP), each connection served on its own thread. It records what it was asked, so a
test can tell whether a request went through it."""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from urllib.parse import urlsplit


class _Handler(socketserver.StreamRequestHandler):
    server: ForwardProxy

    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1").rstrip("\r\n")
        headers = []
        while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            headers.append(line)
        method, target, _version = request_line.split(" ", 2)
        self.server.seen.append(f"{method} {target}")
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=10) as upstream:
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                _pipe(self.connection, upstream)
            return
        parts = urlsplit(target)
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=10) as upstream:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            kept = [line for line in headers if not line.lower().startswith((b"proxy-", b"connection:"))]
            upstream.sendall(f"{method} {path} HTTP/1.1\r\n".encode() + b"".join(kept) + b"Connection: close\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in headers
                           if line.lower().startswith(b"content-length:")), 0)
            upstream.sendall(self.rfile.read(length))
            while chunk := upstream.recv(65536):
                self.wfile.write(chunk)


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    sockets = [client, upstream]
    while True:
        readable, _, _ = select.select(sockets, [], [], 10)
        if not readable:
            return
        for source in readable:
            chunk = source.recv(65536)
            if not chunk:
                return
            (upstream if source is client else client).sendall(chunk)


class ForwardProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> ForwardProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
