"""Choosing the device and CTranslate2 compute type for a slot.

CPU runs INT8 by default. CUDA runs ``int8_float16`` for INT8 slots; a slot whose manifest says
its weights are AWQ 4-bit runs with ``int32_float16`` (CTranslate2's AWQ kernels, NVIDIA compute
capability >= 7.5 only). A user setting overrides the choice, but only with a type the device
supports. The inputs are plain values, so the logic is tested without any GPU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from coderev.analyzers.errors import CoderevError

AWQ_MIN_CAPABILITY = (7, 5)

# Preference order per (device, slot quantization); the first supported type wins.
_PREFERENCES: dict[tuple[str, str], tuple[str, ...]] = {
    ("cpu", "int8"): ("int8", "int8_float32", "float32"),
    ("cpu", "float32"): ("float32",),
    ("cpu", "float16"): ("float32",),
    ("cuda", "int8"): ("int8_float16", "int8_bfloat16", "int8_float32", "int8", "float16", "float32"),
    ("cuda", "float32"): ("float16", "bfloat16", "float32"),
    ("cuda", "float16"): ("float16", "bfloat16", "float32"),
    ("cuda", "awq4"): ("int32_float16",),
}


def select_compute_type(
    device: str,
    quantization: str,
    supported: Iterable[str],
    *,
    override: str | None = None,
    compute_capability: tuple[int, int] | None = None,
) -> str:
    """The compute type to load a slot with.

    ``quantization`` comes from the slot manifest (``int8``, ``float32``, ``float16`` or
    ``awq4``); ``supported`` is what ``ctranslate2.get_supported_compute_types(device)`` reports.
    Raises ``CoderevError(PRV003)`` when no usable type exists or the override is unsupported.
    """
    available = set(supported)
    if override and override != "auto":
        if override not in available:
            raise CoderevError(
                "PRV003", f"compute type {override!r} is not supported on {device} (supported: "
                f"{', '.join(sorted(available)) or 'none'})")
        return override
    if quantization == "awq4":
        if device != "cuda":
            raise CoderevError("PRV003", "AWQ 4-bit slots run only on CUDA")
        if compute_capability is None or compute_capability < AWQ_MIN_CAPABILITY:
            raise CoderevError(
                "PRV003", f"AWQ 4-bit needs compute capability >= 7.5, this GPU has {compute_capability}")
    for candidate in _PREFERENCES.get((device, quantization), ("float32",)):
        if candidate in available:
            return candidate
    raise CoderevError("PRV003", f"none of the compute types for a {quantization} slot is supported on {device}")


def detect_device(cuda_count: Callable[[], int]) -> str:
    """``cuda`` when CTranslate2 sees a GPU, else ``cpu``."""
    try:
        return "cuda" if cuda_count() > 0 else "cpu"
    except Exception:  # a broken CUDA install must not stop the CPU path
        return "cpu"


def auto_compute(device: str | None, quantization: str, override: str | None = None) -> tuple[str, str]:
    """(device, compute type) for this machine, from what CTranslate2 reports."""
    import ctranslate2

    chosen = device if device and device != "auto" else detect_device(ctranslate2.get_cuda_device_count)
    supported = ctranslate2.get_supported_compute_types(chosen)
    capability: tuple[int, int] | None = None
    if chosen == "cuda":
        try:
            capability = _cuda_capability()
        except Exception:
            capability = None
    return chosen, select_compute_type(chosen, quantization, supported, override=override,
                                       compute_capability=capability)


def _cuda_capability() -> tuple[int, int] | None:
    import ctypes

    lib = ctypes.CDLL("libcuda.so.1")
    major, minor = ctypes.c_int(), ctypes.c_int()
    if lib.cuInit(0) != 0:
        return None
    # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75, MINOR = 76
    lib.cuDeviceGetAttribute(ctypes.byref(major), 75, 0)
    lib.cuDeviceGetAttribute(ctypes.byref(minor), 76, 0)
    return major.value, minor.value
