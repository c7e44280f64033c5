"""The training pipeline behind ``coderev model train`` (the ``train`` extra: torch, transformers).
Imports torch and transformers lazily, so the data and evaluation parts run without them."""
