"""Go functions for the synthetic data: the four fix kinds of the Go rules (cookie ``HttpOnly``
and ``Secure``, ``InsecureSkipVerify``, old TLS versions).

Templates use ``⟨name⟩`` holes (:func:`coderev.engine.training.langs.common.fill`); bodies are indented
with tabs, as ``gofmt`` writes them. Value expressions
(:func:`coderev.engine.training.langs.common.expression`), literal layouts, filler statements and context
shapes each have a held-out part.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from coderev.engine.training.langs.common import basic_holes, expression, extras, fill, indent, pick

LANGUAGE = "go"
KINDS = ["cookie-httponly", "cookie-secure", "tls-skip-verify", "tls-version"]

CONTEXTS = [
    "func ⟨fn⟩(w http.ResponseWriter, r *http.Request) {\n⟨body⟩\n}",
    "func (⟨obj⟩ *⟨cls⟩) ⟨fn⟩(⟨w⟩ string) error {\n⟨body⟩\n\treturn nil\n}",
    "func ⟨fn⟩(⟨w⟩ string, ⟨x⟩ int) (*⟨cls⟩, error) {\n⟨body⟩\n\treturn nil, nil\n}",
    "func ⟨fn⟩(c *gin.Context) {\n⟨body⟩\n}",
    # held out:
    "func (⟨obj⟩ ⟨cls⟩) ⟨fn⟩(ctx context.Context, ⟨w⟩ []string) {\n\tfor _, ⟨x⟩ := range ⟨w⟩ {\n⟨body2⟩\n\t}\n}",
    "func ⟨fn⟩(w http.ResponseWriter, r *http.Request) {\n\tif r.Method == http.MethodPost {\n⟨body2⟩\n\t}\n}",
]
CONTEXT_HELD_OUT = 2

SAFE = [
    "⟨v⟩ := strings.TrimSpace(⟨w⟩)",
    "if ⟨v⟩ == \"\" {\n\treturn\n}",
    "log.Printf(\"⟨col⟩ %s\", ⟨v⟩)",
    "⟨v⟩ = append(⟨v⟩, ⟨w⟩)",
    "⟨v⟩, err := ⟨fn⟩(⟨w⟩)",
    "defer ⟨v⟩.Close()",
    "http.SetCookie(w, &http.Cookie{Name: \"⟨col⟩\", Value: ⟨w⟩, Secure: true, HttpOnly: true})",
    "⟨v⟩ := &tls.Config{MinVersion: tls.VersionTLS12}",
    "if err != nil {\n\treturn\n}",
    # held out:
    "⟨v⟩ := make(map[string]int, len(⟨w⟩))",
    "for ⟨x⟩ := range ⟨w⟩ {\n\t⟨v⟩[⟨x⟩]++\n}",
    "⟨v⟩ := fmt.Sprintf(\"%s/%s\", ⟨w⟩, ⟨x⟩)",
]
SAFE_HELD_OUT = 3


def _literal(rng: random.Random, split: str, type_name: str, fields: list[str]) -> str:
    """A composite literal on one line or over several: one field per line, aligned the way gofmt
    aligns or not (training), or two fields per line (held out)."""
    if len(fields) > 2 and rng.random() < 0.3:
        if split == "test":
            lines = [", ".join(fields[i : i + 2]) for i in range(0, len(fields), 2)]
        elif rng.random() < 0.5:
            width = max(len(f.split(":")[0]) for f in fields) + 1
            lines = [f"{(f.split(':')[0] + ':').ljust(width)} {f.split(':', 1)[1].strip()}" for f in fields]
        else:
            lines = fields
        return type_name + "{\n\t" + ",\n\t".join(lines) + ",\n}"
    return type_name + "{" + ", ".join(fields) + "}"


def _cookie(kind: str, rng: random.Random, split: str, arg: str) -> str:
    off, on = ("HttpOnly", "Secure") if kind == "cookie-httponly" else ("Secure", "HttpOnly")
    if rng.random() < 0.3:
        flags = ("true", "false") if kind == "cookie-httponly" else ("false", "true")
        return f"c.SetCookie(\"⟨col⟩\", {arg}, {rng.choice(('3600', '0', '86400'))}, \"/\", \"\", {', '.join(flags)})"
    fields = [f"{off}: false", f"{on}: true", *extras(rng, ["Path: \"/\"", "MaxAge: 3600", "Domain: ⟨x⟩"], 1)]
    rng.shuffle(fields)
    literal = _literal(rng, split, "http.Cookie", ["Name: \"⟨col⟩\"", f"Value: {arg}", *fields])
    if rng.random() < 0.5:
        return f"http.SetCookie(w, &{literal})"
    return f"⟨v⟩ := &{literal}\nhttp.SetCookie(w, ⟨v⟩)"


def statement(kind: str, rng: random.Random, split: str) -> str:
    """A vulnerable statement template of ``kind`` (holes still to fill)."""
    arg = expression(rng, "go", split)
    if kind in ("cookie-httponly", "cookie-secure"):
        return _cookie(kind, rng, split, arg)
    if kind == "tls-skip-verify":
        if rng.random() < 0.25:
            return "⟨v⟩.InsecureSkipVerify = true"
        fields = ["InsecureSkipVerify: true", *extras(rng, ["MinVersion: tls.VersionTLS12", "ServerName: " + arg,
                                                            "RootCAs: ⟨x⟩"], 2)]
        rng.shuffle(fields)
        config = _literal(rng, split, "tls.Config", fields)
        if rng.random() < 0.4:
            return f"⟨v⟩ := &http.Transport{{TLSClientConfig: &{config}}}"
        return f"⟨v⟩ := &{config}"
    if kind == "tls-version":
        field = rng.choice(("MinVersion", "MinVersion", "MaxVersion"))
        version = rng.choice(("VersionTLS10", "VersionTLS11", "VersionSSL30"))
        if rng.random() < 0.25:
            return f"⟨v⟩.{field} = tls.{version}"
        fields = [f"{field}: tls.{version}", *extras(rng, ["ServerName: " + arg, "Certificates: ⟨x⟩"], 1)]
        rng.shuffle(fields)
        return f"⟨v⟩ := &{_literal(rng, split, 'tls.Config', fields)}"
    raise KeyError(kind)


def render(rng: random.Random, split: str, vulnerable: list[str], n_filler: int,
           decoys: Sequence[str] = ()) -> tuple[str, str]:
    """(source, language) of one function with the given vulnerable kinds among ``n_filler``
    safe statements."""
    values = basic_holes(rng, split, "go")
    statements = [pick(SAFE, SAFE_HELD_OUT, split, rng) for _ in range(n_filler)]
    for kind in vulnerable:
        statements.insert(rng.randint(0, len(statements)), statement(kind, rng, split))
    for decoy in decoys:  # concrete code, no holes (coderev.engine.training.decoys)
        statements.insert(rng.randint(0, len(statements)), decoy)
    body = "\n".join(statements) or "return"
    context = pick(CONTEXTS, CONTEXT_HELD_OUT, split, rng)
    values["body"], values["body2"] = indent(body, "\t"), indent(body, "\t\t")
    return fill(fill(context, values), values) + "\n", LANGUAGE
