"""coderev protocol layer and CLI."""
