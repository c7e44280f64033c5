"""Device and compute-type selection from the slot manifest and what CTranslate2 reports."""

from __future__ import annotations

import pytest

from coderev.analyzers.errors import CoderevError
from coderev.engine.model.compute import detect_device, select_compute_type

CPU = {"int8", "int8_float32", "float32"}
CUDA = {"int8", "int8_float16", "int8_bfloat16", "int8_float32", "float16", "bfloat16", "float32", "int32_float16"}


def test_cpu_int8_slot_runs_int8() -> None:
    assert select_compute_type("cpu", "int8", CPU) == "int8"


def test_cpu_without_int8_falls_back() -> None:
    assert select_compute_type("cpu", "int8", {"float32"}) == "float32"


def test_cuda_int8_slot_runs_int8_float16() -> None:
    assert select_compute_type("cuda", "int8", CUDA) == "int8_float16"
    assert select_compute_type("cuda", "int8", CUDA - {"int8_float16"}) == "int8_bfloat16"


def test_awq_needs_cuda_with_capability_7_5() -> None:
    assert select_compute_type("cuda", "awq4", CUDA, compute_capability=(8, 0)) == "int32_float16"
    assert select_compute_type("cuda", "awq4", CUDA, compute_capability=(7, 5)) == "int32_float16"
    with pytest.raises(CoderevError) as old_gpu:
        select_compute_type("cuda", "awq4", CUDA, compute_capability=(7, 0))
    assert old_gpu.value.code == "PRV003"
    with pytest.raises(CoderevError) as cpu:
        select_compute_type("cpu", "awq4", CPU)
    assert cpu.value.code == "PRV003"


def test_override_wins_when_supported_and_fails_clearly_otherwise() -> None:
    assert select_compute_type("cpu", "int8", CPU, override="float32") == "float32"
    assert select_compute_type("cpu", "int8", CPU, override="auto") == "int8"
    with pytest.raises(CoderevError) as exc:
        select_compute_type("cpu", "int8", CPU, override="float16")
    assert exc.value.code == "PRV003"
    assert "float16" in str(exc.value)


def test_nothing_supported_is_an_error() -> None:
    with pytest.raises(CoderevError):
        select_compute_type("cpu", "int8", set())


def test_detect_device() -> None:
    assert detect_device(lambda: 1) == "cuda"
    assert detect_device(lambda: 0) == "cpu"

    def broken() -> int:
        raise RuntimeError("no driver")

    assert detect_device(broken) == "cpu"
