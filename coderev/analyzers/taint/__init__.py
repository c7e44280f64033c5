"""Data-driven, intra-procedural taint tracking (see ``engine.py`` and ADR 0006)."""

from coderev.analyzers.taint.engine import LANGUAGE, is_tainted
from coderev.analyzers.taint.spec import TaintSpec, spec_files, spec_for, validate

__all__ = ["LANGUAGE", "TaintSpec", "is_tainted", "spec_files", "spec_for", "validate"]
