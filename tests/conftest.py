"""Fixtures shared by several test modules."""

from __future__ import annotations

from typing import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def no_user_packs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests read the packs of this checkout: not the packs a developer keeps in their config
    directory (`tattletrail init`) or names in $TATTLETRAIL_CHECKS/_RULES/_SEARCHES."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))
        for name in ("TATTLETRAIL_CHECKS", "TATTLETRAIL_RULES", "TATTLETRAIL_SEARCHES"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real moto server (S3, SQS, ...) on a free local port, started once per session: its URL.

    Server mode, not in-process mocking, so the code under test (and the CLI in a subprocess)
    talks HTTP to it exactly as to AWS. Tests share it: give each test its own bucket or queue.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """A real OpenSearch-compatible server (osmem-server, in memory, no JVM), started once per
    session: its URL. Tests talk to it with opensearch-py over HTTP exactly as to a cluster;
    give each test module its own index.
    """
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    yield server.url
    server.close()
