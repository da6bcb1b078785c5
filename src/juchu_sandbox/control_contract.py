"""The common control contract of the mall emulators (docs/sandbox.md, "Other malls"), built once for all.

A mall's ``control.py`` subclasses ``MallContract`` with what its store does for each call of the contract;
``contract_routes`` turns that into the routes under ``/_sandbox/<mall>/``: paths and methods, reading the JSON
body, the ``state`` check, the wrapping of lists into ``{"orderNumbers"|"catalogue"|"stock"|"calls": …}`` and
``{"error": …}`` answers with the status of a ``ControlError``.

The emulators were written one at a time and read a body in slightly different ways (what an empty or blank
body is, the message for one that is not JSON, whether a store's ``ValueError`` is a 400). ``BodyRules`` keeps
each mall's answers as they were. Rakuten came first and has routes of its own; it uses ``endpoint`` and
``read_body`` only.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

STATES = ("all", "unpaid")


class ControlError(Exception):
    """A control request the mall refuses: HTTP ``status`` (400/404/409) and a message."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@dataclass(frozen=True)
class BodyRules:
    """How one mall reads the JSON body of a control request."""

    #: the error (400) for a body that is not JSON
    not_json: str = "the body is not valid JSON"
    #: a body of only whitespace counts as no body (else it is not JSON)
    blank_is_empty: bool = True
    #: no body reads as ``None`` (else as ``{}``)
    empty_is_none: bool = False
    #: every route reads the body, so a bad one is a 400 even where none is expected
    read_every_body: bool = False
    #: a ``ValueError`` from the store is a 400 with its message (else it is a server error)
    value_error_is_400: bool = False


async def read_body(request: Request, rules: BodyRules) -> Any:
    """The request's JSON body as ``rules`` read it; ``ControlError`` 400 when it is not JSON."""
    raw = await request.body()
    if not (raw.strip() if rules.blank_is_empty else raw):
        return None if rules.empty_is_none else {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ControlError(400, rules.not_json) from None


def require_object(body: Any, message: str) -> dict[str, Any]:
    """``body`` when it is a JSON object, else ``ControlError`` 400 with ``message``."""
    if not isinstance(body, dict):
        raise ControlError(400, message)
    return body


def endpoint(act: Callable[[Request], Awaitable[Any]], rules: BodyRules) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint answering what ``act`` returns as JSON (a ``Response`` as it is) and its refusals as errors."""

    async def run(request: Request) -> Response:
        try:
            if rules.read_every_body:
                await read_body(request, rules)
            result = await act(request)
            return result if isinstance(result, Response) else JSONResponse(result)
        except ControlError as exc:
            return JSONResponse({"error": exc.text}, status_code=exc.status)
        except ValueError as exc:
            if not rules.value_error_is_400:
                raise
            return JSONResponse({"error": str(exc)}, status_code=400)

    return run


class Store(Protocol):
    """What the contract reads from a mall's store itself: its lock and the API calls it received."""

    lock: threading.RLock
    calls: list[dict[str, Any]]


S = TypeVar("S", bound=Store)


class MallContract(ABC, Generic[S]):
    """One mall's side of the control contract; each method answers one call (``ControlError`` to refuse).

    A subclass may also define ``catalogue()`` and ``settings()``: only then does the mall answer
    ``GET /catalogue`` and ``GET /settings`` (else they are 405).
    """

    #: ``/_sandbox/<mall>``
    prefix: str
    rules: BodyRules = BodyRules()
    #: the status of ``POST /orders``
    created_status: int = 200

    def __init__(self, mall: S) -> None:
        self.mall = mall

    @abstractmethod
    def set_catalogue(self, body: Any) -> Any:
        """``PUT /catalogue``: what generated orders sell; the catalogue as the mall now holds it."""

    @abstractmethod
    def update_settings(self, body: Any) -> Any:
        """``PUT /settings``: the rate limits and the mall's own knobs; the settings now."""

    @abstractmethod
    def set_credentials(self, body: Any) -> Any:
        """``POST /credentials``: refuse or accept the demo credentials."""

    @abstractmethod
    def create_orders(self, body: Any) -> list[str]:
        """``POST /orders``: the numbers of the orders placed."""

    @abstractmethod
    def order_numbers(self, state: str) -> list[str]:
        """``GET /orders``: every order's number (``all``) or those awaiting payment (``unpaid``)."""

    @abstractmethod
    def snapshot(self, number: str) -> dict[str, Any]:
        """``GET /orders/{n}``: the order as the mall holds it."""

    @abstractmethod
    def pay(self, number: str) -> dict[str, Any]:
        """``POST /orders/{n}/pay``: the buyer pays; the snapshot."""

    @abstractmethod
    def cancel(self, number: str) -> dict[str, Any]:
        """``POST /orders/{n}/cancel``: the buyer or the mall cancels; the snapshot."""

    @abstractmethod
    def change(self, number: str, body: Any) -> dict[str, Any]:
        """``POST /orders/{n}/change``: the order changes; the snapshot."""

    @abstractmethod
    def summary(self) -> dict[str, Any]:
        """``GET /summary``: orders, shipped, duplicateTracking, shipmentWrites, stockWrites, stock."""

    @abstractmethod
    def set_stock(self, body: Any) -> dict[str, Any]:
        """``PUT /stock``: quantities changed by hand at the mall; the stock keyed as in the summary."""

    def calls(self, prefix: str) -> list[dict[str, Any]]:
        """``GET /calls``: the API calls received whose path starts with ``prefix``."""
        with self.mall.lock:
            return [dict(call) for call in self.mall.calls if call["path"].startswith(prefix)]


def contract_routes(contract: MallContract[Any]) -> list[Route]:
    """The routes of the common control contract under ``contract.prefix``."""
    rules = contract.rules
    read_catalogue: Callable[[], Any] | None = getattr(contract, "catalogue", None)
    read_settings: Callable[[], Any] | None = getattr(contract, "settings", None)

    async def body(request: Request) -> Any:
        return await read_body(request, rules)

    def number(request: Request) -> str:
        return str(request.path_params["number"])

    async def catalogue(request: Request) -> Any:
        if read_catalogue is not None and request.method != "PUT":
            return {"catalogue": read_catalogue()}
        return {"catalogue": contract.set_catalogue(await body(request))}

    async def settings(request: Request) -> Any:
        if read_settings is not None and request.method != "PUT":
            return read_settings()
        return contract.update_settings(await body(request))

    async def credentials(request: Request) -> Any:
        return contract.set_credentials(await body(request))

    async def orders(request: Request) -> Any:
        if request.method == "POST":
            numbers = contract.create_orders(await body(request))
            return JSONResponse({"orderNumbers": numbers}, status_code=contract.created_status)
        state = request.query_params.get("state", "all")  # GET, or HEAD: a HEAD places no order
        if state not in STATES:
            raise ControlError(400, "state is unpaid or all")
        return {"orderNumbers": contract.order_numbers(state)}

    async def snapshot(request: Request) -> Any:
        return contract.snapshot(number(request))

    async def pay(request: Request) -> Any:
        return contract.pay(number(request))

    async def cancel(request: Request) -> Any:
        return contract.cancel(number(request))

    async def change(request: Request) -> Any:
        return contract.change(number(request), await body(request))

    async def summary(request: Request) -> Any:
        return contract.summary()

    async def stock(request: Request) -> Any:
        return {"stock": contract.set_stock(await body(request))}

    async def calls(request: Request) -> Any:
        return {"calls": contract.calls(request.query_params.get("path", ""))}

    def route(path: str, act: Callable[[Request], Awaitable[Any]], *methods: str) -> Route:
        return Route(f"{contract.prefix}{path}", endpoint(act, rules), methods=list(methods))

    return [
        route("/catalogue", catalogue, *(["GET"] if read_catalogue else []), "PUT"),
        route("/settings", settings, *(["GET"] if read_settings else []), "PUT"),
        route("/credentials", credentials, "POST"),
        route("/orders", orders, "GET", "POST"),
        route("/orders/{number}", snapshot, "GET"),
        route("/orders/{number}/pay", pay, "POST"),
        route("/orders/{number}/cancel", cancel, "POST"),
        route("/orders/{number}/change", change, "POST"),
        route("/summary", summary, "GET"),
        route("/stock", stock, "PUT"),
        route("/calls", calls, "GET"),
    ]
