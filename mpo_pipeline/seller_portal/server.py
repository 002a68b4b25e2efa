"""``mpo-pipeline serve-sellers``: the seller portal API under uvicorn, until SIGTERM or SIGINT.

On either signal uvicorn stops accepting connections, lets the requests in flight finish (at most
``GRACEFUL_SECONDS``), and the command exits 0.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
from collections.abc import Callable

import uvicorn

from mpo_pipeline.config import Settings
from mpo_pipeline.seller_portal.app import Portal, create_app
from mpo_pipeline.seller_portal.keys import KeyVerifier
from mpo_pipeline.seller_portal.ratelimit import Limit, RateLimiter
from mpo_pipeline.seller_portal.snapshot import SnapshotStore, SnapshotUnavailable

log = logging.getLogger(__name__)
GRACEFUL_SECONDS = 5
DEFAULT_PORT = 8780


def portal_from_settings(settings: Settings) -> Portal:
    """The app's inputs as the ``MPO_*`` settings name them."""
    return Portal(
        store=SnapshotStore(settings.published_warehouse),
        verifier=KeyVerifier(settings.seller_keys),
        limiter=RateLimiter(),
        seller_limit=Limit(settings.seller_api_rate, settings.seller_api_burst),
        portal_limit=Limit(settings.seller_api_portal_rate, settings.seller_api_portal_burst),
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: a free one the OS picks)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def configure_logging(access_log: bool) -> None:
    """Log lines on stderr; the access log at INFO unless turned off."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("mpo_pipeline.seller_portal")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("mpo_pipeline.seller_portal.access").setLevel(
        logging.INFO if access_log else logging.WARNING
    )


def serve(
    portal: Portal,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    announce: Callable[[str], None] = print,
) -> int:
    """Serve until SIGTERM/SIGINT; ``announce`` gets the URL once the socket listens."""
    portal.store.open_now()
    try:
        with portal.store.use():
            pass
    except SnapshotUnavailable as exc:
        log.warning("%s: answering 503 until a snapshot is published at %s", exc, portal.store.path)
    sock = bind(host, port)
    config = uvicorn.Config(
        create_app(portal),
        log_level="warning",
        access_log=False,  # ours (app.AccessLog) never logs the token or the query string
        server_header=False,
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    server = uvicorn.Server(config)
    stopped_by: list[int] = []
    # uvicorn handles the signal (graceful shutdown), then re-raises it once done: these
    # handlers receive that second delivery, so the process exits 0 instead of dying of it.
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stopped_by.append(signum))
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        shown = f"[{host}]" if ":" in host else host
        announce(f"serving the seller portal API on http://{shown}:{sock.getsockname()[1]}")
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        portal.store.close()
    if stopped_by:
        log.info("stopped by %s", signal.Signals(stopped_by[0]).name)
    return 0
