"""Per-language generators of synthetic code: one module per analyzer language family."""
