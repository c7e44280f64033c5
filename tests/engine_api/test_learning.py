"""``coderev engine serve --learn``: the shared engine's learning scheduler learns a team rule
directory of a family the production slot never saw, into the engine's own store, while no fix or
review request comes; its state is in ``/v1/status`` and on the admin page."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn

from coderev.engine.learning.scheduler import ScheduleSettings
from coderev.engine.runtime.api import EngineConfig
from coderev.server.cli import main
from coderev.server.engine_api.app import ApiSettings, build_app
from coderev.server.engine_api.guard import ServerState
from coderev.server.engine_api.host import EngineHost
from coderev.server.engine_api.learning import EngineLearning
from tests.engine_api.conftest import FakeEngine, poll

ROOT = Path(__file__).resolve().parents[2]
STANDIN = (sys.executable, str(ROOT / "tests" / "learn_standin.py"))
TEAM_RULES = ROOT / "bench" / "continual_rules" / "t1"  # db.raw(...) -> db.execute(...): a family no slot knows


@contextlib.contextmanager
def _serve(host: EngineHost) -> Iterator[httpx.Client]:
    """The real app under uvicorn in a thread (its lifespan starts and stops the host)."""
    sock = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(build_app(host, ApiSettings(), ServerState()), lifespan="on",
                                           log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    poll(lambda: server.started, 30, "uvicorn started")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(30)


def test_the_engine_learns_a_team_rule_dir_into_its_store(tmp_path: Path) -> None:
    settings = ScheduleSettings(idle_minutes=0.0, min_pairs=20, cpu_budget_s=60.0, checkpoint_minutes=0.01)
    learning = EngineLearning(settings, (TEAM_RULES,), directory=tmp_path / "learning", command=STANDIN)
    store = tmp_path / "slots"
    host = EngineHost(EngineConfig(enabled=False, store_path=store), feedback_dir=tmp_path / "feedback",
                      version="test", engine=FakeEngine(), learning=learning)
    with _serve(host) as http:
        done = poll(lambda: (host.learning_status() or {}).get("rules_learned"), 30, "the rules run")
        assert done == [str(TEAM_RULES)]
        [run] = [json.loads(line) for line in (tmp_path / "learning" / "work" / "runs.jsonl").read_text().splitlines()]
        assert run["argv"][2:4] == ["--rules", str(TEAM_RULES)] and run["argv"][-2:] == ["--store", str(store)]
        status = http.get("/v1/status").json()["learning"]
        assert status["last_run"]["outcome"] == "done" and status["budget"]["allowed_s"] == 60.0
        assert "Background learning" in http.get("/admin").text
        host.activity()  # a fix or review request: the idle wait starts again
        assert host.scheduler is not None
        assert host.scheduler.tick()["reason"] == "0 new training pairs of 20 needed (setting learning.minPairs)"
    assert host.scheduler.snapshot()["pid"] is None


def test_without_learn_the_status_says_so(tmp_path: Path) -> None:
    host = EngineHost(EngineConfig(enabled=False, store_path=tmp_path / "slots"), feedback_dir=tmp_path / "fb",
                      version="test", engine=FakeEngine())
    with _serve(host) as http:
        assert http.get("/v1/status").json()["learning"] is None


def test_learn_rules_needs_learn(capsys: object) -> None:
    assert main(["engine", "serve", "--learn-rules", str(TEAM_RULES), "--no-model"]) == 2
