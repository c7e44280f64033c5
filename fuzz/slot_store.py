"""Kill -9 trial of the slot store: a subprocess moves slots between roles in a loop (install,
promote, quarantine, demote, install as V2) and is killed with SIGKILL at a pseudo-random moment,
again and again on the same store. After every kill the store must agree with itself:

* reopened, its roles equal the replay of ``history.jsonl`` and ``state.json`` holds exactly them;
* every operation the subprocess acknowledged (printed after it returned) is in the history, and
  nothing later than the one operation in flight;
* with ``state.json`` then destroyed, reopening rebuilds the very same roles;
* no temporary file or uncommitted copy is left, and every slot that holds a role is present.

``python fuzz/slot_store.py [--kills N] [--seed S]`` prints ``slot store: N kills, M
inconsistencies`` (and each inconsistency) and exits 1 when M > 0. The delays come from a seeded
generator, so a run is repeatable up to the machine's timing. tests/engine/test_slot_store_crash.py
runs a shorter trial.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coderev.analyzers.errors import CoderevError  # noqa: E402
from coderev.engine.model.manifest import read_manifest, write_manifest  # noqa: E402
from coderev.engine.model.slot import default_slot_path  # noqa: E402
from coderev.engine.slots import SlotStore  # noqa: E402
from coderev.engine.slots.state import read_history, replay  # noqa: E402

# The subprocess: one operation after another, each acknowledged on stdout once it returned.
WORKER = """
import json, sys
from pathlib import Path
from coderev.analyzers.errors import CoderevError
from coderev.engine.slots import SlotStore

root, sources, run = Path(sys.argv[1]), [Path(s) for s in json.loads(sys.argv[2])], int(sys.argv[3])
store = SlotStore(root)
print("open", flush=True)
i = 0
while True:
    tag = f"[run {run} op {i}]"
    step = i % 6
    source = sources[(run + i) % len(sources)]
    try:
        if step in (0, 2):
            store.install(source, "V1", tag)
        elif step == 1:
            store.promote(tag)
        elif step == 3:
            slot = store.experimental()
            if slot is None:
                raise CoderevError("SYS002", "no V1")
            store.quarantine(slot.id, tag)
        elif step == 4:
            store.demote(tag)
        else:
            store.install(source, "V2", tag)
        print(i, "done", flush=True)
    except CoderevError as exc:
        if exc.code != "SYS002":
            raise
        print(i, "skip", flush=True)
    i += 1
"""


@dataclass
class Result:
    kills: int = 0
    operations: int = 0  # acknowledged, over all runs
    inconsistencies: list[str] = field(default_factory=list)


def make_sources(where: Path, versions: tuple[str, ...] = ("2.0.0", "3.0.0", "4.0.0")) -> list[Path]:
    """Distinct, verifiable slots: the packaged default under other versions."""
    sources = []
    for version in versions:
        slot = where / f"src-{version}"
        if not slot.exists():
            shutil.copytree(default_slot_path(), slot)
            fields = {k: v for k, v in read_manifest(slot).items() if k != "files"}
            write_manifest(slot, {**fields, "version": version})
        sources.append(slot)
    return sources


def _roles(store: SlotStore) -> dict[str, str]:
    return {s.id: s.role for s in store.all()}


def check(root: Path, run: int, acknowledged: list[int], finished: int) -> list[str]:
    """What is wrong with the store at ``root`` after run ``run`` was killed, which had finished
    operations up to ``finished`` and made transitions in those listed in ``acknowledged``."""
    problems: list[str] = []
    store = SlotStore(root)  # opening is the recovery
    history = read_history(root / "history.jsonl")
    truth = replay(history)
    roles = _roles(store)
    expected = {i: r for i, r in ((truth.v2, "V2"), (truth.v1, "V1")) if i is not None}
    expected.update(dict.fromkeys(truth.v3, "V3"))
    if roles != expected:
        problems.append(f"roles {roles} differ from the history's {expected}")
    on_disk = json.loads((root / "state.json").read_text(encoding="utf-8"))
    if on_disk != truth.to_json():
        problems.append(f"state.json {on_disk} differs from the history's {truth.to_json()}")
    reasons = " ".join(t.reason for t in history)
    missing = [i for i in acknowledged if f"[run {run} op {i}]" not in reasons]
    if missing:
        problems.append(f"acknowledged operations {missing} are not in the history")
    if f"[run {run} op {finished + 2}]" in reasons:
        problems.append(f"operation {finished + 2} is in the history although {finished + 1} was in flight")
    leftovers = [p.name for p in root.glob(".state.json.tmp-*")] + \
                [p.name for p in (root / "versions").iterdir() if p.name.startswith(".")]
    if leftovers:
        problems.append(f"leftovers after reopening: {leftovers}")
    absent = [i for i in expected if not (root / "versions" / i).is_dir()]
    if absent:
        problems.append(f"slots with a role but no directory: {absent}")
    (root / "state.json").write_text("{destroyed")
    rebuilt = _roles(SlotStore(root))
    if rebuilt != roles:
        problems.append(f"rebuilt from the history after state.json was destroyed: {rebuilt}, was {roles}")
    return [f"kill {run}: {p}" for p in problems]


def trial(root: Path, sources: list[Path], kills: int, seed: int = 0, max_delay_s: float = 0.25) -> Result:
    """``kills`` runs of the worker on the store ``root``, each killed after a seeded delay."""
    rng = random.Random(seed)  # reproducible delays
    store = SlotStore(root)
    store.ensure_default()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = Result()
    for run in range(kills):
        delay = rng.uniform(0.0, max_delay_s)
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(root), json.dumps([str(s) for s in sources]),
                                 str(run)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                cwd=ROOT)
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "open":
            result.inconsistencies.append(f"kill {run}: the worker did not open the store: "
                                          f"{proc.communicate(timeout=30)[1][-2000:]}")
            continue
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        if proc.returncode != -signal.SIGKILL:
            result.inconsistencies.append(f"kill {run}: the worker exited with {proc.returncode}: {err[-2000:]}")
        lines = [line.split() for line in out.splitlines() if len(line.split()) == 2]
        acknowledged = [int(index) for index, outcome in lines if outcome == "done"]
        result.operations += len(lines)
        result.kills += 1
        result.inconsistencies += check(root, run, acknowledged, max((int(i) for i, _ in lines), default=-1))
    final = SlotStore(root)
    bad = {i: r for i, r in final.verify().items() if r != "ok"}
    if bad:
        result.inconsistencies.append(f"slots that do not verify after the trial: {bad}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=0.25, help="seconds; each kill waits up to this")
    parser.add_argument("--keep", type=Path, help="run in this directory and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="coderev-slot-fuzz-") as scratch:
        base = args.keep or Path(scratch)
        base.mkdir(parents=True, exist_ok=True)
        result = trial(base / "slots", make_sources(base), args.kills, args.seed, args.max_delay)
    for problem in result.inconsistencies:
        print(problem)
    print(f"{result.operations} operations acknowledged by the killed subprocesses")
    print(f"slot store: {result.kills} kills, {len(result.inconsistencies)} inconsistencies")
    return 1 if result.inconsistencies else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CoderevError as exc:
        print(f"slot store fuzz: {exc}", file=sys.stderr)
        sys.exit(2)
