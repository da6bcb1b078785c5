"""The sandbox server: every emulated API under its real path, plus the control API under ``/_sandbox/``.

Each emulator keeps its state in memory (the sandbox is for tests, benchmarks and demos) and exposes:
``routes(state)`` — the API at its real paths — and ``control_routes(state)`` — its part of ``/_sandbox/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from juchu_sandbox import faults, rakuten, rsl


@dataclass
class Sandbox:
    """The emulated world: one Rakuten mall, one RSL warehouse, the fault plan."""

    rakuten: rakuten.RakutenMall
    rsl: rsl.RslWarehouse
    faults: faults.FaultPlan


def build(seed: int = 1, ship_delay_seconds: float = 2.0, realistic_cutoff: bool = False) -> tuple[Starlette, Sandbox]:
    """A sandbox app and its state (tests reach into the state; the OMS only speaks HTTP).

    With ``realistic_cutoff`` RSL ships nothing before a request's ship-by day (after 15:30 JST that is
    tomorrow); by default it ships after the delay at any hour, so demos and tests flow in the evening too.
    """
    world = Sandbox(
        rakuten=rakuten.RakutenMall(seed=seed),
        rsl=rsl.RslWarehouse(ship_delay_seconds=ship_delay_seconds, wait_for_ship_by_date=realistic_cutoff, seed=seed),
        faults=faults.FaultPlan(seed=seed),
    )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "emulators": ["rakuten", "rsl"]})

    routes = [
        Route("/_sandbox/health", health),
        *faults.control_routes(world.faults),
        *rakuten.control_routes(world.rakuten),
        *rsl.control_routes(world.rsl),
        *rakuten.routes(world.rakuten),
        *rsl.routes(world.rsl),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(faults.FaultMiddleware, plan=world.faults)])
    app.state.sandbox = world
    return app, world


def run(
    host: str = "127.0.0.1",
    port: int = 8100,
    seed: int = 1,
    ship_delay_seconds: float = 2.0,
    realistic_cutoff: bool = False,
) -> None:
    """Serve the sandbox with uvicorn until interrupted."""
    import uvicorn

    app, _world = build(seed=seed, ship_delay_seconds=ship_delay_seconds, realistic_cutoff=realistic_cutoff)
    uvicorn.run(app, host=host, port=port, log_level="warning")
