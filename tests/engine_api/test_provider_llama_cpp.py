"""A remote provider slot against a third-party OpenAI-compatible server: llama.cpp's, from
llama-cpp-python[server], serving the default slot's own checkpoint converted to GGUF
(tests/engine_api/gguf_convert.py). The engine's fixes and reviews through it equal the local
CTranslate2 slot's.

It needs what coderev does not depend on, so it runs only where it is there:
``CODEREV_TEST_LLAMA_PYTHON`` names a Python with ``llama-cpp-python[server]``, ``gguf`` and
``sentencepiece`` (``python -m venv /tmp/llama && CMAKE_ARGS=-DGGML_NATIVE=OFF /tmp/llama/bin/pip
install 'llama-cpp-python[server]' gguf sentencepiece``: it compiles llama.cpp, about 15 minutes
on 2 cores), and the ``train`` extra (torch, transformers) that reads the slot's INT8 weights
back into the float32 checkpoint converted (coderev/engine/training/dequantize.py).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from coderev.engine.model.slot import ModelSlot, default_slot_path
from coderev.engine.slots.store import SlotStore
from tests.engine_api.conftest import ROOT, environment, poll, ready, short_dir, start
from tests.engine_api.test_local import BAD, DIGEST, YAML
from tests.engine_api.test_provider import free_port, remote_slot

PYTHON = os.environ.get("CODEREV_TEST_LLAMA_PYTHON", "")
pytestmark = pytest.mark.skipif(not PYTHON or importlib.util.find_spec("torch") is None,
                                reason="needs CODEREV_TEST_LLAMA_PYTHON (llama-cpp-python[server], gguf) and the "
                                       "train extra")


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    from coderev.engine.training.dequantize import cached_slot_hf

    home = short_dir()
    model = home / "slot.gguf"
    hf = cached_slot_hf(default_slot_path(), home / "hf")
    subprocess.run([PYTHON, str(ROOT / "tests" / "engine_api" / "gguf_convert.py"), str(hf),
                    str(default_slot_path() / "tokenizer.model"), str(model)], check=True, timeout=300)
    port = free_port()
    log = (home / "llama.log").open("w")
    server = subprocess.Popen([PYTHON, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                               "--port", str(port), "--n_ctx", "1280", "--n_threads", "1"],
                              stdout=log, stderr=log, cwd=home)
    url = f"http://127.0.0.1:{port}/v1"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/models", timeout=2).status_code == 200
        except httpx.HTTPError:
            assert server.poll() is None, (home / "llama.log").read_text()
            return False

    try:
        poll(up, 120, "llama.cpp's server")
        yield url
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def test_a_slot_served_by_llama_cpp_answers_as_the_local_slot(llama_server: str) -> None:
    home = short_dir()
    store = SlotStore(home / "slots")
    store.ensure_default()
    store.install(remote_slot(home / "src", "llama-cpp", llama_server, "completions"), role="V2")
    engine = start(home, "--socket", str(home / "e.sock"), "--idle-exit", "0", "--store", str(home / "slots"),
                   env=environment(home))
    try:
        status = ready(engine)["engine"]
        assert status["production"].startswith("llama-cpp-") and status["device"].startswith("remote 127.0.0.1")
        local = ModelSlot()
        with engine.client() as http:
            fixed = http.post("/v1/fix", json={"source": BAD, "language": "python", "rule_id": YAML, "line": 5}).json()
            reviewed = http.post("/v1/review", json={"function": DIGEST, "language": "python"}).json()
        assert fixed["fix"] is not None, fixed["reason"]
        assert "yaml.safe_load(stream)" in fixed["fix"]["text"] and fixed["fix"]["checked"]
        expected = [{"line": i.line, "cwe": i.cwe, "message": i.message} for i in local.review(DIGEST) or []]
        assert reviewed["items"] == expected and expected
    finally:
        assert engine.stop() == 0
