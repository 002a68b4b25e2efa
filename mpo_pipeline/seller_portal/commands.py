"""The ``serve-sellers`` and ``seller-keys`` commands (wired into ``mpo_pipeline.cli``)."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.table import Table

from mpo_pipeline.config import Settings
from mpo_pipeline.seller_portal.keys import KeyStore


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The two subcommands and their options."""
    serve = sub.add_parser(
        "serve-sellers", help="the seller portal API (read-only JSON over the published warehouse)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8780, help="port (8780; 0 = any free port)")
    serve.add_argument("--no-access-log", action="store_true", help="no line per request on stderr")
    keys = sub.add_parser("seller-keys", help="issue, revoke, list the seller portal API keys")
    verbs = keys.add_subparsers(dest="verb", required=True)
    issue = verbs.add_parser("issue", help="a new key; its token is printed once, on stdout")
    who = issue.add_mutually_exclusive_group(required=True)
    who.add_argument("--seller", type=int, help="a seller key: reads this seller id only")
    who.add_argument("--portal", action="store_true", help="a portal key: reads any seller")
    issue.add_argument("--label", help="a note kept with the key (who holds it)")
    revoke = verbs.add_parser("revoke", help="revoke a key (refused from the next request on)")
    revoke.add_argument("key_id", help="the key id (see `seller-keys list`)")
    verbs.add_parser("list", help="every key: id, scope, seller, label, created, revoked")


def serve_sellers(args: argparse.Namespace) -> int:
    from mpo_pipeline.seller_portal.server import configure_logging, portal_from_settings, serve

    settings = Settings.from_env(require_credentials=False)
    configure_logging(access_log=not args.no_access_log)
    announce = lambda line: print(line, flush=True)  # noqa: E731  (stdout: scripts read the URL)
    return serve(portal_from_settings(settings), host=args.host, port=args.port, announce=announce)


def seller_keys(args: argparse.Namespace, console: Console) -> int:
    store = KeyStore(Settings.from_env(require_credentials=False).seller_keys)
    if args.verb == "issue":
        issued = store.issue(seller_id=args.seller, label=args.label)
        who = "any seller" if issued.key.seller_id is None else f"seller {issued.key.seller_id}"
        console.print(
            f"issued key [bold]{issued.key.key_id}[/] ({issued.key.scope} key: reads {who}). "
            "The token is on stdout: keep it now, it is not stored and not shown again.",
            highlight=False,
        )
        print(issued.token, file=sys.stdout, flush=True)
        return 0
    if args.verb == "revoke":
        key = store.revoke(args.key_id)
        console.print(f"revoked key [bold]{key.key_id}[/] at {key.revoked_at}", highlight=False)
        return 0
    table = Table(title=f"seller portal API keys ({store.path})")
    for column in ("key id", "scope", "seller id", "label", "created", "revoked"):
        table.add_column(column)
    for key in store.list():
        table.add_row(
            key.key_id,
            key.scope,
            "" if key.seller_id is None else str(key.seller_id),
            key.label or "",
            key.created_at,
            key.revoked_at or "",
        )
    Console(width=150).print(table)
    return 0
