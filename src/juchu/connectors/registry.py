"""Which connector object speaks for a shop's mall or a warehouse.

A connector is named on the shop or warehouse (``connector`` field). Real connectors register a factory
by name; tests and the in-process demo install ready-made instances (the fakes) for a given name.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping

from juchu.connectors.base import MallConnector, WarehouseConnector

#: The shop's own warehouse (自社出荷): a warehouse with no API, whose requests go out as issued batches of
#: paperwork (juchu.fulfillment.selfship). It has no connector object: asking for one gives None.
SELFSHIP = "selfship"

MallFactory = Callable[[Mapping[str, str]], MallConnector]
WarehouseFactory = Callable[[Mapping[str, str]], WarehouseConnector]

_lock = threading.Lock()
_mall_factories: dict[str, MallFactory] = {}
_warehouse_factories: dict[str, WarehouseFactory] = {}
_mall_instances: dict[str, MallConnector] = {}
_warehouse_instances: dict[str, WarehouseConnector] = {}


class UnknownConnector(LookupError):
    """A shop or warehouse names a connector nobody registered."""


def register_mall(name: str, factory: MallFactory) -> None:
    """Register a factory building the mall connector ``name`` from a shop's settings."""
    with _lock:
        _mall_factories[name] = factory


def register_warehouse(name: str, factory: WarehouseFactory) -> None:
    """Register a factory building the warehouse connector ``name`` from a warehouse's settings."""
    with _lock:
        _warehouse_factories[name] = factory


def install_mall(name: str, connector: MallConnector) -> None:
    """Use this very connector object for every shop naming ``name`` (fakes, the in-process demo)."""
    with _lock:
        _mall_instances[name] = connector


def install_warehouse(name: str, connector: WarehouseConnector) -> None:
    """Use this very connector object for every warehouse naming ``name``."""
    with _lock:
        _warehouse_instances[name] = connector


def uninstall_all() -> None:
    """Forget installed instances (tests call this between cases)."""
    with _lock:
        _mall_instances.clear()
        _warehouse_instances.clear()


def _load(package: str, name: str) -> None:
    """Import ``juchu.connectors.<package>.<name>``, whose ``__init__`` registers its factory."""
    if not name.isidentifier():
        return
    try:
        importlib.import_module(f"juchu.connectors.{package}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"juchu.connectors.{package}.{name}":
            raise


def mall_connector(name: str, settings: Mapping[str, str]) -> MallConnector | None:
    """The connector for a shop, or None when the shop has none (orders by hand or CSV)."""
    if not name:
        return None
    with _lock:
        if name in _mall_instances:
            return _mall_instances[name]
        factory = _mall_factories.get(name)
    if factory is None:
        _load("malls", name)
        with _lock:
            factory = _mall_factories.get(name)
    if factory is None:
        raise UnknownConnector(f"モールコネクタ '{name}' は登録されていません")
    return factory(settings)


def warehouse_connector(name: str, settings: Mapping[str, str]) -> WarehouseConnector | None:
    """The connector for a warehouse, or None when it has none (no connector, or the own warehouse)."""
    if not name or name == SELFSHIP:
        return None
    with _lock:
        if name in _warehouse_instances:
            return _warehouse_instances[name]
        factory = _warehouse_factories.get(name)
    if factory is None:
        _load("warehouses", name)
        with _lock:
            factory = _warehouse_factories.get(name)
    if factory is None:
        raise UnknownConnector(f"倉庫コネクタ '{name}' は登録されていません")
    return factory(settings)
