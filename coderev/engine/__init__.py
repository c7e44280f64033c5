"""coderev background engine: models, feedback, health, logs."""
