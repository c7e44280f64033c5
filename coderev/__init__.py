"""coderev: a local-first code-review language server.

The layers are subpackages: ``coderev.analyzers`` (pure analysis), ``coderev.engine`` (models and
everything around them) and ``coderev.server`` (LSP, CLI, reports); see ARCHITECTURE.md and
docs/adr/0014.
"""
