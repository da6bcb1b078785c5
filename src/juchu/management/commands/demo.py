"""``juchu demo``: the sandbox and the OMS in one command, on the embedded SQLite default.

It starts the sandbox (emulated malls and RSL) as a child process, builds one demo shop per mall (Rakuten,
Yahoo!ショッピング, Amazon, au PAY マーケット, Qoo10, MakeShop; ``--malls`` limits them) on one RSL warehouse,
and keeps orders flowing round the malls: most ship by themselves; some stop for a person (an unmapped item,
a bad address, a 領収書 request in the remarks, a scarce SKU running out — these on the Rakuten shop).
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from collections import Counter
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.db.models import Count

from juchu.management.commands.serve import stop_on_sigterm
from juchu.orders.models import Order
from juchu.runtime import demo_world, sandbox_process
from juchu.runtime.runner import EmbeddedRunner
from juchu.shops.models import Shop
from juchu.web.auth import Role, set_role

SETTLED = {"completed", "cancelled", "awaiting_check"}
PAYMENT_MIX = {"1": 6, "2": 2, "9": 2}  # card, 代金引換, bank transfer
#: Bank transfers are paid this many seconds after the shop confirmed them.
PAY_AFTER_SECONDS = 20
ALL_MALLS = ("rakuten", *demo_world.OTHER_MALLS)


def parse_malls(text: str) -> tuple[str, ...]:
    """``--malls``: "all" or a comma-separated list of mall codes, checked."""
    if text.strip() == "all":
        return ALL_MALLS
    malls = tuple(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    unknown = [m for m in malls if m not in ALL_MALLS]
    if unknown or not malls:
        named = ", ".join(unknown) or "(空)"
        raise CommandError(f"--malls: 不明なモール {named}。使えるのは all, {', '.join(ALL_MALLS)}")
    return malls


class Command(BaseCommand):
    help = "デモ: サンドボックス (楽天RMS・RSL) と受注管理を起動し、注文を流し続けます"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8100)
        parser.add_argument("--orders", type=int, default=None, help="この件数の注文を作ったら作成をやめる")
        parser.add_argument("--no-generator", action="store_true", help="注文を自動で作らない")
        parser.add_argument("--grace", type=int, default=60, help="キャンセル猶予 (秒)。楽天の本来の値は30分")
        parser.add_argument("--interval", type=float, default=2.0, help="注文を作る間隔 (秒)")
        parser.add_argument("--batch", type=int, default=1, help="一度に作る注文の件数")
        parser.add_argument("--ship-delay", type=float, default=5.0, help="RSLが出荷するまでの秒数")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--sandbox-url",
            default=None,
            help="起動済みのサンドボックス (juchu sandbox) を使う。子プロセスを起動しない",
        )
        parser.add_argument(
            "--malls",
            default="all",
            help=f"デモのショップを置くモール (カンマ区切り、既定 all = {','.join(ALL_MALLS)})",
        )
        parser.add_argument("--plenty-stock", action="store_true", help="抹茶 (TEA-03) も在庫を十分にする")
        parser.add_argument(
            "--until-done",
            action="store_true",
            help="全注文が 完了・キャンセル・確認待 になったら終了し、結果を1行のJSONで出力",
        )

    def handle(self, *args, **options) -> None:
        from waitress import create_server

        from juchu.wsgi import application

        options["malls"] = parse_malls(options["malls"])
        call_command("migrate", interactive=False, verbosity=0)
        stop_on_sigterm()
        # The sandbox answers at once: sync often, so the demo moves in seconds.
        settings.JUCHU_SYNC_INTERVAL_SECONDS = 1.0
        settings.JUCHU_STOCK_SYNC_INTERVAL_SECONDS = 30.0
        sandbox = None
        sandbox_url = (options["sandbox_url"] or "").rstrip("/")
        if not sandbox_url:
            try:
                sandbox = sandbox_process.start(
                    options["sandbox_port"], seed=options["seed"], ship_delay=options["ship_delay"]
                )
            except sandbox_process.SandboxFailed as exc:
                raise CommandError(str(exc)) from exc
            sandbox_url = f"http://127.0.0.1:{options['sandbox_port']}"
        server = None
        runner = EmbeddedRunner()
        stop = threading.Event()
        started = time.monotonic()
        try:
            # --until-done must end: without the scarce SKU no order waits for stock forever.
            world = demo_world.configure(
                sandbox_url,
                grace_seconds=options["grace"],
                with_unmapped=False,
                scarce_stock=not (options["until_done"] or options["plenty_stock"]),
            )
            Shop.objects.filter(pk=world.shop.pk).update(active="rakuten" in options["malls"])
            for mall in options["malls"]:
                if mall != "rakuten":
                    demo_world.configure_mall(sandbox_url, mall, world.warehouse, with_unmapped=False, fast=True)
            password = self._demo_user()
            runner.start()
            server = create_server(application, host=options["host"], port=options["port"], threads=8)
            threading.Thread(target=server.run, name="juchu-web", daemon=True).start()
            generator = Generator(sandbox_url, options, stop)
            if not options["no_generator"]:
                threading.Thread(target=generator.run, name="juchu-demo-orders", daemon=True).start()
            self.stdout.write(
                f"Juchu demo\n"
                f"  画面 (UI):     http://{options['host']}:{options['port']}/\n"
                f"  ログイン:      demo / {password}  (管理者。demo-operator・demo-viewer も同じパスワード)\n"
                f"  サンドボックス: {sandbox_url}/_sandbox/health\n"
                f"  モール:        {', '.join(options['malls'])}\n"
                f"  キャンセル猶予は {options['grace']} 秒に短縮しています (楽天の本来の値は30分)\n"
                "Ctrl+C で停止します"
            )
            while not stop.is_set():
                if options["until_done"] and self._done(generator, options):
                    self.stdout.write(json.dumps(self._summary(sandbox_url, started), ensure_ascii=False))
                    break
                time.sleep(1.0)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            runner.stop()
            runner.join(timeout=15)
            if server is not None:
                server.close()
            if sandbox is not None:
                sandbox_process.stop(sandbox)

    def _demo_user(self) -> str:
        """demo (admin), demo-operator and demo-viewer, all with one fresh password."""
        password = secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(
            username="demo", defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(password)
        user.save()
        for name, role in (("demo-operator", Role.OPERATOR), ("demo-viewer", Role.VIEWER)):
            other, _ = get_user_model().objects.get_or_create(username=name)
            other.set_password(password)
            other.save()
            set_role(other, role)
        return password

    def _done(self, generator: Generator, options: dict[str, Any]) -> bool:
        close_old_connections()
        if options["orders"] is not None and generator.created < options["orders"]:
            return False
        by_status = dict(Order.objects.values_list("status").annotate(n=Count("id")))
        return sum(by_status.values()) >= generator.created and set(by_status) <= SETTLED

    def _summary(self, sandbox_url: str, started: float) -> dict[str, Any]:
        by_status = dict(Order.objects.values_list("status").annotate(n=Count("id")))
        malls = Counter(Order.objects.values_list("shop__mall", flat=True))
        with httpx.Client(base_url=sandbox_url, timeout=30) as control:
            rsl = control.get("/_sandbox/rsl/summary").json()
            per_shipment: Counter[str] = Counter()
            for number in Order.objects.filter(shop__mall="rakuten").values_list("mall_order_number", flat=True):
                for record in control.get(f"/_sandbox/rakuten/orders/{number}").json()["shippingRecords"]:
                    per_shipment[f"{number}#{record['basketId']}"] += 1
            doubled = {
                mall: control.get(f"/_sandbox/{mall}/summary").json()["duplicateTracking"]
                for mall in malls
                if mall != "rakuten"
            }
        return {
            "orders": sum(by_status.values()),
            "by_status": by_status,
            "by_mall": dict(malls),
            "duplicate_tracking": {mall: numbers for mall, numbers in doubled.items() if numbers},
            "elapsed_s": round(time.monotonic() - started, 1),
            "requests_per_request_id_max": rsl["acceptedPerRequestIdMax"],
            "requests_per_package_max": rsl["acceptedPerMallOrderNumberMax"],
            "reports_per_shipment_max": max(per_shipment.values(), default=0),
        }


def _bad_address(order: dict[str, Any]) -> None:
    """A postal code Japan Post does not know (住所不備)."""
    order["PackageModelList"][0]["SenderModel"].update({"zipCode1": "999", "zipCode2": "9999"})


def _unmapped_item(order: dict[str, Any]) -> None:
    """An item the shop never mapped to a SKU (商品未マッピング)."""
    item = order["PackageModelList"][0]["ItemModelList"][0]
    item.update({"manageNumber": demo_world.UNMAPPED["manageNumber"], "itemName": demo_world.UNMAPPED["itemName"]})
    for sku in item.get("SkuModelList") or []:
        sku["variantId"] = demo_world.UNMAPPED["variantId"]


class Generator:
    """Places orders at the sandbox malls as buyers would (one batch per mall in turn), and pays bank transfers
    and konbini payments a little later.

    On the Rakuten shop one order in ten has a bad postal code and one in twelve an unmapped item; 領収書
    requests come with the sandbox's own remarks, and the scarce 抹茶 runs out after a while: those stop for a
    person. The other malls' orders are the routine ones.
    """

    def __init__(self, sandbox_url: str, options: dict[str, Any], stop: threading.Event) -> None:
        self.url = sandbox_url
        self.options = options
        self.malls: tuple[str, ...] = options["malls"]
        self.stop = stop
        self.created = 0
        self.rakuten_created = 0
        self._turn = 0
        self._waiting_since: dict[tuple[str, str], float] = {}

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as control:
            while not self.stop.wait(self.options["interval"]):
                try:
                    self._step(control)
                except httpx.HTTPError:
                    continue  # the sandbox is stopping

    def _step(self, control: httpx.Client) -> None:
        limit = self.options["orders"]
        count = self.options["batch"] if limit is None else min(self.options["batch"], limit - self.created)
        if count > 0:
            mall = self.malls[self._turn % len(self.malls)]
            self._turn += 1
            seed = self.options["seed"] * 100_000 + self.created
            if mall == "rakuten":
                self._rakuten_orders(control, count, seed, limit)
            else:
                answer = control.post(f"/_sandbox/{mall}/orders", json={"count": count, "seed": seed})
                answer.raise_for_status()
                self.created += len(answer.json()["orderNumbers"])
        self._pay_later(control)

    def _rakuten_orders(self, control: httpx.Client, count: int, seed: int, limit: int | None) -> None:
        numbers = control.post(
            "/_sandbox/rakuten/orders", json={"count": count, "seed": seed, "paymentMix": PAYMENT_MIX}
        ).json()["orderNumbers"]
        self.created += len(numbers)
        self.rakuten_created += len(numbers)
        if limit is None or self.created < limit:
            if self.rakuten_created % 10 == 0:
                self._copy_with(control, numbers[-1], _bad_address)
            elif self.rakuten_created % 12 == 1:
                self._copy_with(control, numbers[-1], _unmapped_item)

    def _copy_with(self, control: httpx.Client, template_number: str, change: Any) -> None:
        """Place one more order like ``template_number`` but changed so that it needs a person."""
        order = copy.deepcopy(control.get(f"/_sandbox/rakuten/orders/{template_number}").json()["order"])
        for key in ("orderNumber", "orderDatetime", "orderProgress", "shopOrderCfmDatetime"):
            order.pop(key, None)
        order["PackageModelList"] = order["PackageModelList"][:1]
        order["PackageModelList"][0]["ShippingModelList"] = []
        change(order)
        control.post("/_sandbox/rakuten/orders", json={"order": order}).raise_for_status()
        self.created += 1
        self.rakuten_created += 1

    def _pay_later(self, control: httpx.Client) -> None:
        """Buyers pay what they owe ``PAY_AFTER_SECONDS`` after the order is seen waiting for it."""
        waiting = []
        for mall in self.malls:
            if mall == "rakuten":
                answer = control.get("/_sandbox/rakuten/orders", params={"progress": "200"})
            else:
                answer = control.get(f"/_sandbox/{mall}/orders", params={"state": "unpaid"})
            waiting += [(mall, number) for number in answer.json()["orderNumbers"]]
        now = time.monotonic()
        for mall, number in waiting:
            since = self._waiting_since.setdefault((mall, number), now)
            if now - since >= PAY_AFTER_SECONDS:
                control.post(f"/_sandbox/{mall}/orders/{number}/pay")
                self._waiting_since.pop((mall, number), None)
