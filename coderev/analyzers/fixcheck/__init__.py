"""Fix checks: what must hold before a fix, written by a rule's template or by the model, is
offered as verified.

Two layers, both static (no code from the workspace ever runs):

- :mod:`.structure`: the fixed unit parses, the finding is gone, no new finding appears;
- :mod:`.families`: the fix family's semantic check (SQL parameters, command argument lists,
  hash choice, property-only edits), declared per rule as ``fix.check``.

:func:`verify_fix` runs both and returns a :class:`Verification`, which says what was checked.
"""

from coderev.analyzers.finding import Verification
from coderev.analyzers.fixcheck.verify import verify_fix, verify_template_fix, with_checked_fix
from coderev.analyzers.paramstyle import PARAM_STYLE, ParamStyle, infer_param_style, param_style

__all__ = [
    "PARAM_STYLE", "ParamStyle", "Verification", "infer_param_style", "param_style", "verify_fix",
    "verify_template_fix", "with_checked_fix",
]
