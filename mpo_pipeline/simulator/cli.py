"""``mpo-pipeline simulator``: serve the MPO API simulator on loopback until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import date

from .config import SimulatorConfig
from .server import DEFAULT_VERSION, MPO_PATH, bind_socket, make_server
from .state import SimulatorState

DEFAULTS = SimulatorConfig()


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def _rate(value: str) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError("must be a probability in [0, 1]")
    return number


def build_parser(prog: str = "mpo-pipeline simulator") -> argparse.ArgumentParser:
    """The simulator's argument parser."""
    p = argparse.ArgumentParser(
        prog=prog, description="Serve a local, deterministic simulator of the Criteo MPO API."
    )
    p.add_argument("--port", type=int, default=8765, help="TCP port (0 = any free port)")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback)")
    p.add_argument("--seed", type=int, default=DEFAULTS.seed, help="data seed")
    p.add_argument("--advertisers", type=int, default=DEFAULTS.advertisers, help="1..5")
    p.add_argument("--campaigns", type=int, default=DEFAULTS.campaigns, help="per advertiser")
    p.add_argument("--sellers", type=int, default=DEFAULTS.sellers, help="per advertiser")
    p.add_argument("--rate-limit", type=int, default=None, help="calls/min before 429")
    p.add_argument("--error-rate", type=_rate, default=0.0, help="share of 500/503 responses")
    p.add_argument("--drop-rate", type=_rate, default=0.0, help="share of dropped connections")
    p.add_argument("--latency-ms", type=int, default=0, help="added latency per API call")
    p.add_argument("--token-ttl", type=int, default=DEFAULTS.token_ttl, help="token lifetime (s)")
    p.add_argument("--today", type=_date, default=None, help="simulated date (default: real)")
    p.add_argument("--fault-seed", type=int, default=None, help="seed of the fault dice")
    p.add_argument(
        "--keep-empty-rows",
        action="store_true",
        help="also serve rows without impressions, clicks, cost or sales",
    )
    p.add_argument("--client-id", default=DEFAULTS.client_id)
    p.add_argument("--client-secret", default=DEFAULTS.client_secret)
    return p


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """The ``SimulatorConfig`` described by parsed arguments."""
    return SimulatorConfig(
        seed=args.seed,
        advertisers=args.advertisers,
        campaigns=args.campaigns,
        sellers=args.sellers,
        today=args.today,
        rate_limit=args.rate_limit,
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        latency_ms=args.latency_ms,
        token_ttl=args.token_ttl,
        client_id=args.client_id,
        client_secret=args.client_secret,
        fault_seed=args.fault_seed,
        drop_empty_rows=not args.keep_empty_rows,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the simulator in the foreground; returns 0 after Ctrl-C or SIGTERM, 2 on bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        sock = bind_socket(args.host, args.port)
    except (ValueError, OSError) as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    state = SimulatorState.create(config)
    url = f"http://{args.host}:{sock.getsockname()[1]}"
    ads = ", ".join(f"{a.id} ({a.currency}, {a.time_zone})" for a in state.world.advertisers)
    print(f"MPO API simulator listening on {url}", flush=True)
    print(f"  API base:      {url}/{DEFAULT_VERSION}{MPO_PATH}")
    print(f"  token:         POST {url}/oauth2/token (grant_type=client_credentials)")
    print(
        f"  demo credentials (not secrets): client_id={config.client_id} "
        f"client_secret={config.client_secret}"
    )
    print(f"  advertisers:   {ads}")
    print(f"  today:         {state.clock.today()}" + ("" if config.today else " (real date)"))
    print("  Ctrl-C or SIGTERM to stop.", flush=True)
    server = make_server(state)
    # uvicorn handles SIGINT/SIGTERM itself and re-raises them after a graceful shutdown:
    # make that re-raised SIGTERM a no-op so that we return normally.
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
    print("MPO API simulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
