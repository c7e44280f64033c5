"""Limits, timeouts and version deprecation, through the real app under uvicorn on a real TCP
socket, with an engine whose answers the test releases (so "in flight" is a state, not a race)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from coderev.engine.model.prompt import ReviewItem
from coderev.server.engine_api import client
from coderev.server.engine_api.app import ApiSettings
from coderev.server.engine_api.guard import Limits
from coderev.server.engine_api.versions import ApiVersion
from tests.engine_api.conftest import InThread, poll

REVIEW = {"function": "def f(x):\n    return x\n", "language": "python"}
SINCE = datetime(2026, 1, 1, tzinfo=UTC)
SUNSET = datetime(2027, 7, 1, tzinfo=UTC)

Start = Callable[[ApiSettings], InThread]


def test_a_client_over_its_rate_gets_429_with_retry_after(in_thread: Start) -> None:
    served = in_thread(ApiSettings(limits=Limits(rate=0.05, burst=2)))
    with served.client() as http:
        answers = [http.get("/v1/status") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[2]
    assert refused.json()["error"]["code"] == "SYS008"
    assert 1 <= int(refused.headers["retry-after"]) <= 20


def test_the_concurrency_cap_refuses_with_503_and_status_still_answers(in_thread: Start) -> None:
    served = in_thread(ApiSettings(limits=Limits(max_concurrent=1)))
    first: dict[str, Any] = {}

    def send() -> None:
        with served.client() as http:
            first["response"] = http.post("/v1/review", json=REVIEW)

    sender = threading.Thread(target=send)
    sender.start()
    poll(lambda: served.engine.calls == 1, 30, "the first review reached the engine")
    with served.client() as http:
        second = http.post("/v1/review", json=REVIEW)
        status = http.get("/v1/status")
    assert second.status_code == 503 and second.json()["error"]["code"] == "SYS009"
    assert second.headers["retry-after"] == "1"
    assert status.status_code == 200 and status.json()["server"]["in_flight"] >= 2
    served.engine.pending[0].set_result([ReviewItem(327, 2, "weak-crypto")])
    sender.join(30)
    assert first["response"].status_code == 200
    assert first["response"].json()["items"] == [{"line": 2, "cwe": 327, "message": "weak-crypto"}]
    assert served.engine.calls == 1, "the refused request never reached the engine"


def test_an_answer_that_does_not_come_is_a_504_and_is_cancelled(in_thread: Start) -> None:
    served = in_thread(ApiSettings(request_timeout_s=0.3))
    with served.client() as http:
        response = http.post("/v1/review", json=REVIEW)
    assert response.status_code == 504 and response.json()["error"]["code"] == "PRV006"
    poll(served.engine.pending[0].cancelled, 5, "the engine request cancelled")


def test_an_engine_error_is_its_catalogue_code_never_a_traceback(in_thread: Start) -> None:
    served = in_thread(ApiSettings())
    with served.client() as http:
        sender = threading.Thread(target=lambda: results.append(http.post("/v1/review", json=REVIEW)))
        results: list[httpx.Response] = []
        sender.start()
        poll(lambda: served.engine.calls == 1, 30, "the review reached the engine")
        served.engine.pending[0].set_exception(RuntimeError("boom inside"))
        sender.join(30)
    assert results[0].status_code == 500
    assert results[0].json()["error"]["code"] == "SYS003" and "Traceback" not in results[0].text


def _deprecated_table() -> dict[str, ApiVersion]:
    return {"1": ApiVersion("1", "deprecated", deprecated_since=SINCE, sunset=SUNSET, successor="2"),
            "2": ApiVersion("2")}


def test_a_deprecated_version_carries_deprecation_and_sunset_and_is_logged(in_thread: Start) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("coderev.engine_api")
    logger.addHandler(handler)
    try:
        served = in_thread(ApiSettings(versions=_deprecated_table()))
        with served.client() as http:
            old = [http.get("/v1/status") for _ in range(2)]
            new = http.get("/v2/status")
    finally:
        logger.removeHandler(handler)
    assert old[0].status_code == 200 and old[0].headers["coderev-api-version"] == "1"
    assert old[0].headers["deprecation"] == f"@{int(SINCE.timestamp())}"  # RFC 9745
    assert parsedate_to_datetime(old[0].headers["sunset"]) == SUNSET  # RFC 8594: an HTTP date
    assert old[0].headers["sunset"] == "Thu, 01 Jul 2027 00:00:00 GMT"
    assert old[0].headers["link"] == '</v2/openapi.json>; rel="successor-version"'
    assert "deprecation" not in new.headers and new.headers["coderev-api-version"] == "2"
    told = [r for r in records if "deprecated" in r.getMessage()]
    assert len(told) == 1, "logged once per client and version"


def test_the_cli_client_warns_about_a_deprecated_or_older_api(in_thread: Start,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    deprecated = in_thread(ApiSettings(versions=_deprecated_table()))
    assert client.status(deprecated.url, None, None, as_json=False) == 0
    assert "deprecated" in capsys.readouterr().err
    older = in_thread(ApiSettings(versions={"0": ApiVersion("0")}))
    assert client.status(older.url, None, None, as_json=False) == 1
    err = capsys.readouterr().err
    assert "does not serve API version 1" in err and "SYS007" in err
