"""A learn run in its own process for the kill -9 test: ``python -m tests.continual.resume_child
WORK KILL_AFTER``. With KILL_AFTER > 0 the process SIGKILLs itself right after writing its
KILL_AFTER-th checkpoint (a deterministic moment); it always resumes from WORK's checkpoint."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from tests.continual.helpers import config, tiny_model, token_data

METHOD = "replay+ewc+si+lwf+packnet"
STEPS = 10


def run(work: Path, kill_after: int) -> Any:
    import copy

    from coderev.engine.training.continual import loop
    from coderev.engine.training.continual.methods import build

    if kill_after:
        written = [0]
        save = loop.save_checkpoint

        def save_then_die(path: Path, payload: dict[str, Any]) -> None:
            save(path, payload)
            written[0] += 1
            if written[0] == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)

        loop.save_checkpoint = save_then_die
    model = tiny_model()
    replay, methods = build(METHOD, teacher=copy.deepcopy(model))
    loop.learn(model, token_data(2, 24, 30, 60), token_data(1, 24, 3, 30), methods, replay=replay,
               cfg=config(max_steps=STEPS, checkpoint_steps=2), pad_id=2, work=work, resume=True)
    return model


if __name__ == "__main__":
    import torch

    out = Path(sys.argv[1])
    torch.save(run(out, int(sys.argv[2])).state_dict(), out / "final.pt")
