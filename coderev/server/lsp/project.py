"""What the server knows of the workspace: folders, settings, analyzers and feedback per root.

Settings come from the editor (:class:`Settings`) and, for analysis keys, from each root's
``.coderev.toml`` / ``[tool.coderev]``, which wins over the editor so CI and editors agree.
Every change bumps :attr:`Project.generation`; diagnostics remember the generation they were
computed under, so pull requests see the change and stale results are never published.
No LSP types here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderev.analyzers import Analyzer, RuleSet, load_rules
from coderev.analyzers.config import (
    AnalysisOptions,
    confine_rule_dirs,
    find_project_config,
    option_selectors,
    options_from_mapping,
    unknown_selectors,
)
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.ruleset import builtin_rules_for_startup
from coderev.engine.feedback import EventKey, FeedbackEvent, FeedbackStore
from coderev.server.lsp.settings import EDITOR_FILE_BUDGET_SECONDS, Settings

if TYPE_CHECKING:
    from coderev.engine.learning.learner import Learner


@dataclass(frozen=True, slots=True)
class RootConfig:
    root: Path | None
    analyzer: Analyzer
    options: AnalysisOptions
    config_file: Path | None


class Project:
    def __init__(self) -> None:
        self.roots: list[Path] = []
        self.settings = Settings()
        self.generation = 0
        self._configs: dict[Path | None, RootConfig] = {}
        self._stores: dict[Path | None, FeedbackStore] = {}
        self._learners: dict[Path | None, Learner] = {}
        self._dismissed: dict[Path | None, frozenset[str]] = {}
        self._rule_sets: dict[tuple[Path, ...], RuleSet] = {}
        self._lock = threading.Lock()

    # -- folders ---------------------------------------------------------------------------
    def set_roots(self, roots: list[Path]) -> None:
        self.roots = sorted({r.resolve() for r in roots}, key=lambda p: len(p.parts), reverse=True)

    def root_for(self, path: Path | None) -> Path | None:
        """The innermost workspace folder holding ``path`` (None: outside every folder)."""
        if path is None:
            return None
        resolved = path.resolve()
        for root in self.roots:  # deepest first
            if resolved == root or root in resolved.parents:
                return root
        return None

    # -- configuration ---------------------------------------------------------------------
    def reload(self, settings: Settings | None = None) -> list[CoderevError]:
        """Re-read project files and rebuild analyzers; returns every configuration error."""
        if settings is not None:
            self.settings = settings
        errors: list[CoderevError] = []
        configs = {root: self._build(root, errors) for root in [*self.roots, None]}
        errors += self._unknown_selectors(list(configs.values()))
        with self._lock:
            self._configs = configs
            self.generation += 1
        return list({str(e): e for e in errors}.values())  # each root repeats the editor's own errors

    @staticmethod
    def _unknown_selectors(configs: list[RootConfig]) -> list[CoderevError]:
        """Selectors that match no rule anywhere (a typo would silently turn rules off). Judged
        against every root's rules together: the editor's selectors apply to all roots, and one
        root's rule directory may hold the rules they select."""
        everything = list({rule.id: rule for c in configs for rule in c.analyzer.rules}.values())
        selectors = dict.fromkeys(s for config in configs for s in option_selectors(config.options))
        return unknown_selectors(list(selectors), everything)

    def _build(self, root: Path | None, errors: list[CoderevError]) -> RootConfig:
        mapping: dict[str, Any] = {"file-budget-seconds": EDITOR_FILE_BUDGET_SECONDS, **self.settings.analysis}
        config_file = None
        if root is not None:
            project, config_file, file_errors = find_project_config(root)
            errors += file_errors
            project = {k.replace("_", "-"): v for k, v in project.items()}
            dirs = project.get("rule-dirs")
            if isinstance(dirs, list) and all(isinstance(d, str) for d in dirs) and config_file is not None:
                # the repository's file may not point outside the repository; the editor's settings may
                kept, outside = confine_rule_dirs(tuple(dirs), config_file.parent)
                errors += [_located(e, config_file) for e in outside]
                project["rule-dirs"] = list(kept)
            mapping.update(project)
        options, option_errors = options_from_mapping(mapping, base=root)
        errors += [_located(e, config_file) for e in option_errors]
        rules = self._rules(options.rule_dirs, errors)
        return RootConfig(root, Analyzer(rules, options), options, config_file)

    def _rules(self, dirs: tuple[Path, ...], errors: list[CoderevError]) -> RuleSet:
        """The built-in rules plus the user's rule directories, loaded once per set of dirs."""
        if not dirs:
            return builtin_rules_for_startup()
        with self._lock:
            cached = self._rule_sets.get(dirs)
        if cached is None:
            extra = load_rules(dirs, builtin=False)
            builtin = builtin_rules_for_startup()
            taken = {r.id: r for r in builtin}
            clashes = [
                CoderevError("ANA001", f"{r.path}: field 'id': '{r.id}' is already defined in {taken[r.id].path}")
                for r in extra
                if r.id in taken
            ]
            cached = RuleSet([*builtin, *(r for r in extra if r.id not in taken)], [*extra.errors, *clashes])
            with self._lock:
                self._rule_sets[dirs] = cached
        errors += list(cached.errors)
        return cached

    def forget_rules(self) -> None:
        """Rule files changed on disk: load user rule directories again on the next reload."""
        with self._lock:
            self._rule_sets.clear()

    def config_for(self, root: Path | None) -> RootConfig:
        with self._lock:
            found = self._configs.get(root)
        if found is None:
            errors: list[CoderevError] = []
            found = self._build(root, errors)
            with self._lock:
                self._configs[root] = found
        return found

    def rule_dirs(self) -> list[Path]:
        with self._lock:
            return [d for c in self._configs.values() for d in c.options.rule_dirs]

    # -- feedback --------------------------------------------------------------------------
    def store(self, root: Path | None) -> FeedbackStore:
        with self._lock:
            store = self._stores.get(root)
            if store is None:
                store = self._stores[root] = FeedbackStore.for_workspace(root, self.settings.cache_dir)
            return store

    def _stored(self, root: Path | None) -> bool:
        """Whether ``root`` has a feedback store, open or on disk: one that was never written
        holds nothing to read, and opening it would create it."""
        with self._lock:
            if root in self._stores:
                return True
        return FeedbackStore.exists_for_workspace(root, self.settings.cache_dir)

    def dismissed(self, root: Path | None) -> frozenset[str]:
        with self._lock:
            cached = self._dismissed.get(root)
        if cached is None:
            cached = self.store(root).dismissed_fingerprints() if self._stored(root) else frozenset()
            with self._lock:
                self._dismissed[root] = cached
        return cached

    def learner(self, root: Path | None, *, only_if_learned: bool = False) -> Learner | None:
        """The acceptance model of a workspace root, over its feedback store (coderev/engine/learning);
        with ``only_if_learned``, None while the store holds no event (nothing to load or apply)."""
        if only_if_learned and not self._stored(root):
            return None
        store = self.store(root)
        with self._lock:
            learner = self._learners.get(root)
            if learner is None and only_if_learned and store.empty():
                return None
            if learner is None:
                from coderev.engine.learning.learner import Learner  # with the first learned event, not at start-up

                learner = self._learners[root] = Learner(store, enabled=self.settings.learning_enabled)
            learner.enabled = self.settings.learning_enabled
            return learner

    def reset_learning(self) -> int:
        """Forget what was learned in every workspace root seen so far; returns how many."""
        with self._lock:
            roots = list(self._stores)
        for root in roots:
            learner = self.learner(root)
            assert learner is not None
            learner.reset()
        with self._lock:
            self.generation += 1
        return len(roots)

    def record(self, root: Path | None, event: FeedbackEvent) -> EventKey:
        """Store an accept or dismiss and learn from it, in one transaction; returns its key."""
        learner = self.learner(root)
        assert learner is not None
        key = learner.observe(event)
        with self._lock:
            if event.kind == "dismiss":
                self._dismissed[root] = self._dismissed.get(root, frozenset()) | {event.fingerprint}
            self.generation += 1  # dismissals and learned preferences change what is shown
        return key

    def close(self) -> None:
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
            self._learners = {}
        for store in stores:
            store.close()


def _located(error: CoderevError, path: Path | None) -> CoderevError:
    return CoderevError(error.code, f"{path}: {error.detail}") if path is not None else error
