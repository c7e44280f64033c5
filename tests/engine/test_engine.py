"""The model engine end to end: a real slot store in tmp_path, real worker processes running the
packaged CTranslate2 model, real verification by the analyzers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from coderev.analyzers import Analyzer, Document, Finding, get_language
from coderev.analyzers.errors import CoderevError
from coderev.engine.model.manifest import write_manifest
from coderev.engine.model.slot import ModelSlot, default_slot_path
from coderev.engine.runtime.api import AiFix, EngineConfig, EngineStatus
from coderev.engine.runtime.engine import ModelEngine
from coderev.engine.runtime.slo import SloConfig
from coderev.engine.slots.store import SlotStore

PY = get_language("python")
ANALYZER = Analyzer()
HELD_OUT = '''class LedgerStore:
    def archive_parcel(self, parcelVoucher):
        with self.pool.cursor() as beaconCursor:
            beaconCursor.execute("DELETE FROM ledgers WHERE voucher = %s" % parcelVoucher)
            return beaconCursor.rowcount
'''
SOURCES = [
    HELD_OUT,
    "def load(doc):\n    return yaml.load(doc)\n",
    "def digest(data):\n    return hashlib.md5(data).hexdigest()\n",
    "def fetch(url):\n    return requests.get(url, verify=False)\n",
    "def revive(blob):\n    return pickle.loads(blob)\n",
    "def run(target):\n    os.system('ping ' + target)\n",
]


def _finding(source: str) -> Finding:
    findings = ANALYZER.analyze(Document(source, PY))
    assert findings, f"the analyzer should flag {source!r}"
    return findings[0]


def _config(tmp_path: Path, **overrides: object) -> EngineConfig:
    values: dict[str, object] = {"store_path": tmp_path / "store", "shadow_sample": 0.0, "timeout_s": 5.0,
                                 "health_interval_s": 0.5, "breaker_base_backoff_s": 0.2,
                                 "breaker_max_backoff_s": 1.0, **overrides}
    return EngineConfig(**values)  # type: ignore[arg-type]


def _wait(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _pids(engine: ModelEngine) -> list[int]:
    return [s.worker.pid for s in (engine._slots.production, engine._slots.experimental)
            if s is not None and s.worker.pid is not None]


def _variant(tmp_path: Path, version: str, model_bin: bytes | None = None) -> Path:
    """A copy of the packaged slot under another version (so another slot id), optionally with
    other weights, with a manifest that matches its files."""
    copy = tmp_path / f"slot-{version}"
    shutil.copytree(default_slot_path(), copy)
    if model_bin is not None:
        (copy / "model.bin").write_bytes(model_bin)
    fields = json.loads((copy / "manifest.json").read_text())
    fields["version"] = version
    write_manifest(copy, fields)
    return copy


@pytest.fixture
def started() -> Iterator[list[ModelEngine]]:
    """Engines created by a test; each is stopped (and checked for leftovers) afterwards."""
    engines: list[ModelEngine] = []
    yield engines
    for engine in engines:
        pids = _pids(engine)
        engine.stop()
        assert all(_gone(pid) for pid in pids), "stop() leaves no child process"
    leftovers = [t.name for t in threading.enumerate() if t.name.startswith(("coderev-worker", "coderev-model",
                                                                              "coderev-verify", "coderev-retire"))]
    assert not leftovers


def _start(started: list[ModelEngine], config: EngineConfig) -> ModelEngine:
    engine = ModelEngine(config, ANALYZER)
    started.append(engine)
    begin = time.perf_counter()
    engine.start()
    assert time.perf_counter() - begin < 0.25, "start() does not wait for the model"
    _wait(lambda: engine.status().mode != "loading")
    return engine


def test_fixes_are_verified_or_none_and_reviews_parse(tmp_path: Path, started: list[ModelEngine]) -> None:
    seen: list[EngineStatus] = []
    engine = ModelEngine(_config(tmp_path), ANALYZER)
    started.append(engine)
    engine.add_listener(seen.append)
    engine.start()
    _wait(lambda: engine.status().mode == "ready")
    status = engine.status()
    assert [s.mode for s in seen][:2] == ["loading", "ready"]
    assert status.production_id and status.production_name == "coderev-default"
    assert status.device == "cpu" and status.compute_type == "int8" and status.breaker == "closed"

    reference = ModelSlot()
    fixes = []
    for i, source in enumerate(SOURCES):
        finding = _finding(source)
        begin = time.perf_counter()
        future = engine.fix(source, finding, key=f"file{i}", version=1)
        assert time.perf_counter() - begin < 0.25, "fix() returns a future at once, long before the answer"
        fix = future.result(10)
        expected = reference.fix(source, finding, ANALYZER)
        assert (fix is not None) == expected.verification.verified, "None exactly when verification fails"
        if fix is not None:
            fixes.append(fix)
            assert fix.slot_id == status.production_id and fix.slot_version == reference.manifest["version"]
            assert fix.fixed_source == expected.fixed_source and fix.latency_s > 0
            after = ANALYZER.analyze(Document(fix.fixed_source, PY))
            assert not [f for f in after if f.rule_id == finding.rule_id
                        and fix.rows[0] <= f.span.start_row <= fix.rows[1]], "the finding is gone"
    assert fixes, "the packaged model fixes at least the held-out SQL example"
    stats = engine.status().slo[status.production_id]
    assert stats.requests == len(SOURCES) and stats.checked == len(SOURCES) and stats.errors == 0
    assert stats.verified == len(fixes)

    items = engine.review(HELD_OUT, language="python", key="review", version=1).result(10)
    assert items == reference.review(HELD_OUT), "the review is the model's own answer, parsed"


def test_refusals_are_immediate_and_coded(tmp_path: Path) -> None:
    off = ModelEngine(EngineConfig(enabled=False, store_path=tmp_path / "store"))
    off.start()
    assert off.status().mode == "disabled"
    future = off.fix(HELD_OUT, _finding(HELD_OUT), key="k", version=1)
    assert future.done()
    with pytest.raises(CoderevError) as exc:
        future.result()
    assert exc.value.code == "PRV001"
    off.stop()
    off.stop()
    assert not (tmp_path / "store").exists(), "a disabled engine never touches the store"


def test_sigkill_mid_request_falls_back_then_recovers_on_its_own(tmp_path: Path, started: list[ModelEngine]) -> None:
    modes: list[str] = []
    probes: list[Future[AiFix | None]] = []  # a request made while the breaker is open
    # a 1 s backoff: the breaker stays open well past the notification that it opened
    engine = _start(started, _config(tmp_path, max_batch=1, breaker_base_backoff_s=1.0))
    finding = _finding(HELD_OUT)

    def listen(status: EngineStatus) -> None:
        if status.breaker == "open" and not probes:  # in the notification of the opening itself
            probes.append(engine.fix(HELD_OUT, finding, key="probe", version=1))
        modes.append(status.mode)  # after the probe: "fallback" in modes means the probe is made

    engine.add_listener(listen)
    assert engine.status().mode == "ready"
    first = _pids(engine)[0]
    futures = [engine.fix(HELD_OUT, finding, key=f"k{i}", version=1) for i in range(20)]
    os.kill(first, signal.SIGKILL)
    codes = []
    for future in futures:
        try:
            future.result(10)
        except CoderevError as exc:
            codes.append(exc.code)
    assert codes and set(codes) == {"PRV005"}
    _wait(lambda: "fallback" in modes, 5)
    # While the breaker is open, requests fail at once instead of waiting.
    [refused] = probes
    assert refused.done(), "an open breaker refuses without waiting"
    error = refused.exception()
    assert isinstance(error, CoderevError) and error.code == "PRV005"
    _wait(lambda: engine.status().mode == "ready", 20)
    status = engine.status()
    assert status.breaker == "closed" and status.error_code is None
    second = _pids(engine)[0]
    assert second != first and _gone(first), "a new child serves; the dead one was reaped"
    engine.fix(HELD_OUT, finding, key="again", version=1).result(10)  # answered (fix or None), no error
    assert engine.monitor.stats(status.production_id or "").requests >= 1
    assert modes.index("fallback") < len(modes) - 1 - modes[::-1].index("ready")


def test_timeouts_fail_with_prv006_and_open_the_breaker(tmp_path: Path, started: list[ModelEngine]) -> None:
    modes: list[tuple[str, str | None]] = []
    engine = _start(started, _config(tmp_path, timeout_s=0.0005, breaker_base_backoff_s=30.0,
                                        breaker_max_backoff_s=30.0))
    engine.add_listener(lambda s: modes.append((s.mode, s.error_code)))
    finding = _finding(HELD_OUT)
    for i in range(3):
        with pytest.raises(CoderevError) as exc:
            engine.fix(HELD_OUT, finding, key=f"t{i}", version=1).result(10)
        assert exc.value.code == "PRV006"
    assert engine.status().breaker == "open" and ("fallback", "PRV005") in modes
    refused = engine.fix(HELD_OUT, finding, key="t", version=2)
    assert refused.done(), "an open breaker refuses without waiting"
    with pytest.raises(CoderevError) as exc:
        refused.result()
    assert exc.value.code == "PRV005"
    assert engine.status().slo[engine.status().production_id or ""].errors == 3


def test_a_corrupt_production_slot_is_quarantined_and_rules_only(tmp_path: Path,
                                                                 started: list[ModelEngine]) -> None:
    store = SlotStore(tmp_path / "store")
    store.ensure_default()
    production = store.production()
    assert production is not None
    model = production.path / "model.bin"
    model.chmod(model.stat().st_mode | stat.S_IWUSR)
    data = bytearray(model.read_bytes())
    data[500] ^= 0xFF
    model.write_bytes(bytes(data))

    engine = _start(started, _config(tmp_path))
    status = engine.status()
    assert status.mode == "fallback" and status.production_id is None
    assert status.error_code is not None and status.error_message
    quarantined = [t for t in store.history() if t.action == "quarantine"]
    assert quarantined and quarantined[0].slot_id == production.id and "PRV004" in quarantined[0].reason
    future = engine.fix(HELD_OUT, _finding(HELD_OUT), key="k", version=1)
    assert future.done() and isinstance(future.exception(), CoderevError)


def test_a_slot_its_child_cannot_load_is_quarantined_and_the_next_good_one_serves(
        tmp_path: Path, started: list[ModelEngine]) -> None:
    store = SlotStore(tmp_path / "store")
    store.ensure_default()
    good = store.production()
    assert good is not None
    bad = store.install(_variant(tmp_path, "9.9.9", model_bin=b"not a ctranslate2 model" * 100), role="V2")
    engine = _start(started, _config(tmp_path))
    _wait(lambda: engine.status().mode == "ready")
    assert engine.status().production_id == good.id
    reasons = [t.reason for t in store.history() if t.action == "quarantine" and t.slot_id == bad.id]
    assert reasons and "PRV004" in reasons[0]


def test_shadow_traffic_is_measured_never_returned(tmp_path: Path, started: list[ModelEngine]) -> None:
    store = SlotStore(tmp_path / "store")
    store.ensure_default()
    candidate = store.install(_variant(tmp_path, "1.0.1"), role="V1")
    engine = _start(started, _config(tmp_path, shadow_sample=1.0))
    _wait(lambda: engine.status().experimental_id == candidate.id)
    production_id = engine.status().production_id
    assert production_id and production_id != candidate.id
    finding = _finding(HELD_OUT)
    fixes = [engine.fix(HELD_OUT, finding, key=f"k{i}", version=1).result(10) for i in range(4)]
    assert all(f is None or f.slot_id == production_id for f in fixes), "only production answers are returned"
    _wait(lambda: engine.monitor.stats(candidate.id).requests == 4, 5)
    shadow = engine.monitor.stats(candidate.id)
    # The candidate holds the same weights, so its answers verify exactly when production's do.
    assert shadow.checked == 4 and shadow.verified == sum(1 for f in fixes if f is not None)
    assert engine.monitor.stats(production_id).requests == 4


def test_a_better_experimental_slot_is_promoted(tmp_path: Path, started: list[ModelEngine]) -> None:
    store = SlotStore(tmp_path / "store")
    store.ensure_default()
    candidate = store.install(_variant(tmp_path, "1.0.1"), role="V1")
    # Both slots must have seen all six requests before anything is compared; the candidate has
    # the same weights, so until the feedback arrives the two are exactly as good.
    slo = SloConfig(window=20, min_samples=len(SOURCES), min_shadow_samples=len(SOURCES), min_feedback=3)
    engine = _start(started, _config(tmp_path, shadow_sample=1.0, slo=slo))
    _wait(lambda: engine.status().experimental_id == candidate.id)
    old = engine.status().production_id
    assert old is not None
    results = [engine.fix(source, _finding(source), key=f"k{i}", version=1).result(10)
               for i, source in enumerate(SOURCES)]
    assert any(r is not None for r in results), "some fixes verify, so quality can be compared"
    _wait(lambda: engine.monitor.stats(candidate.id).requests == len(SOURCES), 5)
    assert engine.status().production_id == old, "equal quality is no reason to promote"
    for _ in range(3):
        engine.record_feedback(old, accepted=False)  # users reject V2's fixes: V1 now looks better
    _wait(lambda: engine.status().production_id == candidate.id)
    assert engine.status().mode == "ready" and engine.status().experimental_id is None
    assert [t.action for t in store.history()][-2:] == ["supersede", "promote"]
    after = engine.fix(HELD_OUT, _finding(HELD_OUT), key="after", version=1).result(10)
    assert after is None or after.slot_id == candidate.id
    assert engine.monitor.stats(candidate.id).requests >= 1



def test_a_production_slot_breaking_its_slo_is_demoted_to_rules_only(tmp_path: Path,
                                                                    started: list[ModelEngine]) -> None:
    slo = SloConfig(p95_latency_s=1e-6, window=20, min_samples=3, min_shadow_samples=3)
    engine = _start(started, _config(tmp_path, slo=slo))
    old = engine.status().production_id
    assert old is not None
    finding = _finding(HELD_OUT)
    for i in range(3):
        engine.fix(HELD_OUT, finding, key=f"slow{i}", version=1).result(10)
    _wait(lambda: engine.status().production_id is None)
    status = engine.status()
    assert status.mode == "fallback" and status.error_code == "PRV001"
    demotions = [t for t in SlotStore(tmp_path / "store").history() if t.action == "demote"]
    assert demotions and demotions[-1].slot_id == old and "p95" in demotions[-1].reason
    refused = engine.fix(HELD_OUT, finding, key="k", version=1)
    assert refused.done() and isinstance(refused.exception(), CoderevError)


def test_cancel_stale_cancels_queued_fixes(tmp_path: Path, started: list[ModelEngine]) -> None:
    engine = _start(started, _config(tmp_path, max_batch=1))
    finding = _finding(HELD_OUT)
    futures: list[Future[object]] = [engine.fix(HELD_OUT, finding, key="doc", version=v)  # type: ignore[misc]
                                     for v in range(1, 11)]
    cancelled = engine.cancel_stale("doc", 10)
    assert cancelled >= 1
    _wait(lambda: all(f.done() for f in futures), 10)
    assert sum(1 for f in futures if f.cancelled()) == cancelled
    assert not futures[-1].cancelled() and futures[-1].exception() is None


def test_stop_leaves_no_child_process(tmp_path: Path) -> None:
    engine = ModelEngine(_config(tmp_path), ANALYZER)
    engine.start()
    _wait(lambda: engine.status().mode == "ready")
    pids = _pids(engine)
    assert pids and not any(_gone(pid) for pid in pids)
    engine.stop()
    engine.stop()
    assert all(_gone(pid) for pid in pids)
    assert engine.status().mode == "disabled"
    late = engine.fix(HELD_OUT, _finding(HELD_OUT), key="k", version=1)
    assert late.done() and isinstance(late.exception(), CoderevError)


def test_an_operator_promotes_and_demotes_and_the_workers_follow(tmp_path: Path, started: list[ModelEngine]) -> None:
    store = SlotStore(tmp_path / "store")
    store.ensure_default()
    with pytest.raises(CoderevError) as refused:
        ModelEngine(_config(tmp_path)).transition("promote", "too early").result(1)
    assert refused.value.code == "PRV001", "an engine that is not running moves nothing"
    engine = _start(started, _config(tmp_path))
    old = engine.status().production_id
    with pytest.raises(CoderevError) as nothing:
        engine.transition("promote", "nothing to promote").result(10)
    assert nothing.value.code == "SYS002" and engine.status().production_id == old
    candidate = store.install(_variant(tmp_path, "1.0.1"), role="V1")
    promoted = engine.transition("promote", "promoted by the operator").result(30)
    assert promoted.slot_id == candidate.id and promoted.reason == "promoted by the operator"
    status = engine.status()  # the future settles once the workers have followed the store
    assert status.production_id == candidate.id and status.mode == "ready"
    assert engine.fix(SOURCES[1], _finding(SOURCES[1]), key="k", version=1).result(10) is not None
    demoted = engine.transition("demote", "demoted by the operator").result(30)
    assert demoted.action == "demote" and engine.status().production_id == old, "the good old slot returns"
