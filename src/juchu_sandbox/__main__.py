"""``python -m juchu_sandbox``: serve the emulated malls and warehouse on 127.0.0.1."""

from __future__ import annotations

import argparse

from juchu_sandbox.app import run


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="juchu sandbox", description="Juchu sandbox: emulated Rakuten RMS and RSL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ship-delay", type=float, default=2.0, help="seconds before RSL ships an accepted request")
    parser.add_argument(
        "--realistic-cutoff", action="store_true", help="RSL ships nothing before the ship-by day (15:29 JST cutoff)"
    )
    options = parser.parse_args(argv)
    run(
        host=options.host,
        port=options.port,
        seed=options.seed,
        ship_delay_seconds=options.ship_delay,
        realistic_cutoff=options.realistic_cutoff,
    )


if __name__ == "__main__":
    main()
