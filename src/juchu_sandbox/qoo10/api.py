"""The QAPI at its real paths, in both calling styles Qoo10 documents.

* ``GET|POST /GMKT.INC.Front.QAPIService/ebayjapan.qapi?v=1.0&method=<Method>&key=<SAK>&returnType=json&…``
* ``GET|POST /GMKT.INC.Front.QAPIService/ebayjapan.qapi/<Method>`` with form fields and the key in the
  ``GiosisCertificationKey`` header (``QAPIVersion: 1.0``).

Fields are read from the query string and the form body together. Answers are HTTP 200 with the envelope
``{"ResultCode", "ResultMsg"[, "ResultObject"]}``; only exceeding the rate limit is HTTP 429.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from juchu_sandbox.qoo10.methods import METHODS
from juchu_sandbox.qoo10.store import Mall, QapiError

BASE = "/GMKT.INC.Front.QAPIService/ebayjapan.qapi"
CREATE_KEY = "CertificationAPI.CreateCertificationKey"
JSON_TYPE = "application/json; charset=utf-8"
VERSIONS = ("", "1.0", "1.1", "1.2")


def _answer(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False).encode("utf-8"), status, headers, media_type=JSON_TYPE)


async def _fields(request: Request) -> tuple[dict[str, str], str]:
    raw = await request.body()
    fields = dict(request.query_params)
    if raw and "multipart" not in request.headers.get("content-type", ""):
        fields.update(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
    return fields, raw.decode("utf-8", errors="replace")


def _endpoint(mall: Mall):
    async def endpoint(request: Request) -> Response:
        fields, raw = await _fields(request)
        method = request.path_params.get("method") or fields.get("method", "")
        # Form style sends the key in the header, query style in ``key``; either is accepted.
        key = request.headers.get("GiosisCertificationKey") or fields.get("key", "")
        status, body, headers = 200, {}, None
        if not mall.take_token():
            status, headers = 429, {"Retry-After": "1"}
            body = {"ResultCode": -90010, "ResultMsg": "API call limit exceeded. Try again later."}
        else:
            try:
                body = {"ResultCode": 0, "ResultMsg": "SUCCESS"}
                result = _dispatch(mall, method, key, fields, request)
                if result is not None:
                    body["ResultObject"] = result
            except QapiError as exc:
                body = {"ResultCode": exc.code, "ResultMsg": exc.message, "ResultObject": None}
        mall.record_call(
            request.method, request.url.path, method, raw or str(request.query_params), status, body["ResultCode"]
        )
        return _answer(body, status, headers)

    return endpoint


def _dispatch(mall: Mall, method: str, key: str, fields: dict[str, str], request: Request) -> Any:
    version = request.headers.get("QAPIVersion") or fields.get("v", "")
    if version not in VERSIONS:
        raise QapiError(-999, f"Unsupported QAPIVersion {version!r}")
    if fields.get("returnType", "json").lower() not in ("json", "application/json"):
        raise QapiError(-999, "Only returnType=json is emulated")
    if method == CREATE_KEY:
        return mall.create_key(key, fields.get("user_id", ""), fields.get("pwd", ""))
    handler = METHODS.get(method)
    if handler is None:
        raise QapiError(-90001, "The API does not exist")
    mall.check_key(key)
    return handler(mall, fields)


def routes(mall: Mall) -> list[Route]:
    """Both calling styles under ``/GMKT.INC.Front.QAPIService/ebayjapan.qapi``."""
    endpoint = _endpoint(mall)
    return [
        Route(BASE, endpoint, methods=["GET", "POST"]),
        Route(BASE + "/{method}", endpoint, methods=["GET", "POST"]),
    ]
