"""The inference worker against real child processes running the packaged CTranslate2 model."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.errors import CoderevError
from coderev.engine.model.prompt import parse_fix
from coderev.engine.model.slot import ModelSlot, default_slot_path, prepare_fix
from coderev.engine.runtime.tokens import Answers
from coderev.engine.runtime.worker import InferenceWorker, SlotLoadError, WorkerBusy

SOURCES = [
    "def load(doc):\n    return yaml.load(doc)\n",
    "def digest(data):\n    return hashlib.md5(data).hexdigest()\n",
    "def fetch(url):\n    return requests.get(url, verify=False)\n",
    "def run(cmd):\n    subprocess.run(cmd, shell=True)\n",
    "def find(cur, name):\n    cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n",
    "def find(cur, uid):\n    cur.execute(\"SELECT * FROM users WHERE id = %s\" % uid)\n",
    "def render(env_loader):\n    return jinja2.Environment(loader=env_loader, autoescape=False)\n",
    "def digest2(blob):\n    return hashlib.sha1(blob).hexdigest()\n",
]


def _prompts() -> list[str]:
    analyzer, python = Analyzer(), get_language("python")
    prompts = []
    for source in SOURCES:
        findings = analyzer.analyze(Document(source, python))
        assert findings, f"the analyzer should flag {source!r}"
        prompts.append(prepare_fix(source, findings[0]).prompt)
    return prompts


PROMPTS = _prompts()


def _worker_threads(slot_id: str) -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(f"coderev-worker-{slot_id}-")]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def worker() -> Iterator[InferenceWorker]:
    # A generous batching window, so that eight threads released together surely land in one
    # batch even on a loaded machine (production uses 2 ms).
    shared = InferenceWorker(default_slot_path(), slot_id="shared", batch_wait_s=0.1)
    shared.start()
    yield shared
    shared.close()


@pytest.fixture(scope="module")
def direct() -> list[str]:
    """What the model answers to each prompt alone, in this process (the reference)."""
    slot = ModelSlot()
    return [slot.generate([p], 96)[0] for p in PROMPTS]


def _code(future: Future[list[str]], timeout: float = 10.0) -> str:
    with pytest.raises(CoderevError) as exc:
        future.result(timeout)
    return exc.value.code


def test_hello_and_answers_equal_an_in_process_generate(worker: InferenceWorker, direct: list[str]) -> None:
    assert worker.hello["device"] == "cpu" and worker.hello["compute_type"] == "int8"
    assert worker.hello["pid"] == worker.pid and worker.hello["load_s"] > 0 < worker.hello["warm_up_s"]
    answer = worker.submit([PROMPTS[0]], 96, key="a", version=1).result(10)
    assert answer == [direct[0]]
    assert parse_fix(answer[0]) is not None, "the packaged model answers in the FIX format"
    assert worker.ping(2.0)


def test_answers_carry_the_tokens_the_model_generated(worker: InferenceWorker) -> None:
    texts, counts = ModelSlot().generate_counted([PROMPTS[1]], 96)
    answer = worker.submit([PROMPTS[1]], 96, key="tokens", version=1).result(10)
    assert isinstance(answer, Answers) and answer == texts
    assert answer.tokens == counts[0] > 0  # len(sequences_ids) in the child, carried with the answer


def test_eight_concurrent_requests_go_in_one_child_call(worker: InferenceWorker, direct: list[str]) -> None:
    before = worker.stats()
    futures: list[Future[list[str]]] = []
    barrier = threading.Barrier(len(PROMPTS))

    def submit(prompt: str) -> None:
        barrier.wait()
        futures.append(worker.submit([prompt], 96, key=prompt, version=1))

    threads = [threading.Thread(target=submit, args=(p,)) for p in PROMPTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers = {f.result(10)[0] for f in futures}
    after = worker.stats()
    assert after.calls - before.calls == 1, "eight requests within the batching window form one batch"
    assert after.largest_batch == 8
    assert answers == set(direct), "every request gets the answer to its own prompt"


def test_batches_are_capped_and_answers_keep_their_order(worker: InferenceWorker, direct: list[str]) -> None:
    before = worker.stats()
    futures = [worker.submit([PROMPTS[i % 8]], 96, key=str(i), version=1) for i in range(20)]
    assert [f.result(10)[0] for f in futures] == [direct[i % 8] for i in range(20)]
    after = worker.stats()
    assert after.largest_batch <= 8
    assert after.calls - before.calls >= 3
    several = worker.submit(PROMPTS[:3], 96).result(10)
    assert several == direct[:3], "a request with several prompts gets one answer per prompt, in order"


def test_a_tiny_timeout_fails_with_prv006_and_the_worker_goes_on(worker: InferenceWorker, direct: list[str]) -> None:
    late = worker.submit([PROMPTS[1]], 96, key="t", version=1, timeout_s=0.0005)
    assert _code(late) == "PRV006"
    assert worker.stats().timeouts >= 1
    # The late answer of the timed-out request must not be delivered to the next one.
    assert worker.submit([PROMPTS[2]], 96, timeout_s=5).result(10) == [direct[2]]
    assert worker.alive


def test_a_full_queue_refuses_at_once_without_blocking() -> None:
    small = InferenceWorker(default_slot_path(), slot_id="small", queue_size=2, max_batch=1)
    small.start()
    try:
        start = time.perf_counter()
        futures = [small.submit([PROMPTS[i % 8]], 96, key=str(i), version=1) for i in range(12)]
        assert time.perf_counter() - start < 0.5, "submit never waits for room"
        refused = [f for f in futures if f.done() and isinstance(f.exception(), WorkerBusy)]
        assert len(refused) >= 8
        assert all(f.exception().code == "PRV005" for f in refused)  # type: ignore[union-attr]
        accepted = [f for f in futures if f not in refused]
        assert all(len(f.result(10)) == 1 for f in accepted)
        assert small.stats().rejected == len(refused)
    finally:
        small.close()


def test_cancel_stale_cancels_only_older_unsent_requests() -> None:
    one = InferenceWorker(default_slot_path(), slot_id="one", max_batch=1)
    one.start()
    try:
        blockers = [one.submit([PROMPTS[i]], 96, key="other", version=1) for i in range(4)]
        old = [one.submit([PROMPTS[5]], 96, key="doc", version=v) for v in (1, 2)]
        current = one.submit([PROMPTS[5]], 96, key="doc", version=3)
        assert one.cancel_stale("doc", 3) == 2
        assert all(f.cancelled() for f in old)
        assert len(current.result(10)) == 1 and not current.cancelled()
        assert all(len(f.result(10)) == 1 for f in blockers), "other keys are untouched"
        assert one.cancel_stale("doc", 99) == 0, "answered requests cannot be cancelled"
    finally:
        one.close()


def test_sigkill_mid_request_fails_in_flight_with_prv005_and_reports_death() -> None:
    deaths: list[str] = []
    victim = InferenceWorker(default_slot_path(), slot_id="victim", max_batch=1, on_dead=deaths.append)
    victim.start()
    pid = victim.pid
    assert pid is not None
    futures = [victim.submit([PROMPTS[i % 8]], 96, key=str(i), version=1) for i in range(30)]
    os.kill(pid, signal.SIGKILL)
    codes = []
    for future in futures:
        try:
            future.result(10)
        except CoderevError as exc:
            codes.append(exc.code)
    assert codes and set(codes) == {"PRV005"}, "unanswered requests fail with PRV005, none hangs"
    deadline = time.monotonic() + 5
    while not deaths and time.monotonic() < deadline:
        time.sleep(0.01)
    assert deaths, "the death is reported once (found by EOF or by a failed write, whichever comes first)"
    assert not victim.alive and not victim.ping(0.5)
    refused = victim.submit([PROMPTS[0]], 96)
    assert refused.done() and _code(refused) == "PRV005", "a dead worker refuses at once"
    victim.close()
    assert _gone(pid), "the killed child is reaped, not left as a zombie"
    assert not _worker_threads("victim")


def test_a_hung_child_times_out_then_is_killed_and_reported() -> None:
    deaths: list[str] = []
    hung = InferenceWorker(default_slot_path(), slot_id="hung", timeout_s=0.3, hang_grace_s=0.3,
                           on_dead=deaths.append)
    hung.start()
    pid = hung.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # alive but silent, as a deadlocked native library would be
    try:
        assert _code(hung.submit([PROMPTS[0]], 96)) == "PRV006"
        deadline = time.monotonic() + 5
        while not deaths and time.monotonic() < deadline:
            time.sleep(0.01)
        assert deaths and "did not answer" in deaths[0]
        assert not hung.alive
    finally:
        hung.close()
    assert _gone(pid)


def test_a_corrupt_slot_is_refused_by_the_child_with_its_code(tmp_path: Path) -> None:
    copy = tmp_path / "slot"
    shutil.copytree(default_slot_path(), copy)
    with (copy / "model.bin").open("r+b") as handle:
        handle.seek(300)
        byte = handle.read(1)
        handle.seek(300)
        handle.write(bytes([byte[0] ^ 0xFF]))
    broken = InferenceWorker(copy, slot_id="broken")
    with pytest.raises(SlotLoadError) as exc:
        broken.start()
    assert exc.value.code == "PRV002" and "model.bin" in exc.value.detail
    assert broken.pid is not None and _gone(broken.pid)
    assert not _worker_threads("broken")


def test_close_stops_the_child_and_every_thread() -> None:
    closing = InferenceWorker(default_slot_path(), slot_id="closing")
    closing.start()
    pid = closing.pid
    assert pid is not None and not _gone(pid)
    closing.close()
    closing.close()  # idempotent
    assert _gone(pid)
    assert not _worker_threads("closing")
    assert _code(closing.submit([PROMPTS[0]], 96)) == "PRV005"


def test_library_noise_on_stdout_cannot_corrupt_the_protocol() -> None:
    script = (
        "import os, sys\n"
        "from coderev.engine.runtime.child import _claim_stdout\n"
        "protocol = _claim_stdout()\n"
        "print('python noise')\n"
        "os.write(1, b'native noise\\n')\n"
        "protocol.write('{\"id\": 1}\\n'); protocol.flush()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout == '{"id": 1}\n'
    assert "python noise" in done.stderr and "native noise" in done.stderr
