"""Small vulnerable programs run before and after coderev's fixes (see harness.py)."""
