"""The sandbox server: every emulated API under its real path, plus the control API under ``/_sandbox/``.

Each emulator keeps its state in memory (the sandbox is for tests, benchmarks and demos). A mall emulator is
the package ``juchu_sandbox.<mall>`` exporting ``Mall`` (built as ``Mall(seed=seed)``), ``routes(mall)`` — the
API at its real paths — and ``control_routes(mall)`` — its part of ``/_sandbox/<mall>/``, which follows the
common control contract of ``docs/sandbox.md`` (catalogue, orders, pay, cancel, snapshot, summary,
credentials, settings; built by ``juchu_sandbox.control_contract``) so that the demo and the end-to-end tests
drive every mall the same way.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from juchu_sandbox import faults, rakuten, rsl

#: The malls besides Rakuten, each a package ``juchu_sandbox.<name>`` (see the module docstring).
OTHER_MALLS = ("yahoo", "amazon", "aupay", "qoo10", "makeshop")


@dataclass
class Sandbox:
    """The emulated world: the malls, one RSL warehouse, the fault plan."""

    rakuten: rakuten.RakutenMall
    rsl: rsl.RslWarehouse
    faults: faults.FaultPlan
    #: Every mall emulator by name, Rakuten included.
    malls: dict[str, Any] = field(default_factory=dict)


def _other_malls(seed: int) -> dict[str, tuple[Any, list[BaseRoute], list[BaseRoute]]]:
    """Each further mall's state, API routes and control routes."""
    found = {}
    for name in OTHER_MALLS:
        module = importlib.import_module(f"juchu_sandbox.{name}")
        mall = module.Mall(seed=seed)
        found[name] = (mall, list(module.routes(mall)), list(module.control_routes(mall)))
    return found


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
    others = _other_malls(seed)
    world.malls = {"rakuten": world.rakuten, **{name: state for name, (state, _a, _c) in others.items()}}

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "emulators": [*world.malls, "rsl"]})

    routes = [
        Route("/_sandbox/health", health),
        *faults.control_routes(world.faults),
        *rakuten.control_routes(world.rakuten),
        *rsl.control_routes(world.rsl),
        *(route for _state, _api, control in others.values() for route in control),
        *rakuten.routes(world.rakuten),
        *rsl.routes(world.rsl),
        *(route for _state, api, _control in others.values() for route in api),
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
