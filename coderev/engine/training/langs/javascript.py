"""JavaScript and TypeScript functions for the synthetic data: the five fix kinds of the
JavaScript rules (cookie flags, small RSA keys, TLS verification, weak hashes, ``innerHTML``).

Templates use ``⟨name⟩`` holes (:func:`coderev.engine.training.langs.common.fill`). Argument expressions
(:func:`coderev.engine.training.langs.common.expression`), object layouts, filler statements and context
shapes each have a held-out part.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from coderev.engine.training.langs.common import basic_holes, expression, extras, fill, indent, pick

LANGUAGE = "javascript"
KINDS = ["cookie-flags", "small-rsa", "tls-verify", "weak-hash", "inner-html"]

# (template, language): the TypeScript shapes are parsed with the TypeScript grammar.
CONTEXTS = [
    ("function ⟨fn⟩(⟨v⟩, ⟨w⟩) {\n⟨body⟩\n}", "javascript"),
    ("const ⟨fn⟩ = async (⟨w⟩) => {\n⟨body⟩\n};", "javascript"),
    ("app.post(⟨q⟩/⟨col⟩⟨q⟩, (req, res) => {\n⟨body⟩\n});", "javascript"),
    ("class ⟨cls⟩ {\n  ⟨fn⟩(⟨w⟩) {\n⟨body2⟩\n  }\n}", "javascript"),
    ("export function ⟨fn⟩(⟨w⟩: ⟨cls⟩): void {\n⟨body⟩\n}", "typescript"),
    # held out:
    ("module.exports.⟨fn⟩ = function (⟨v⟩, ⟨w⟩) {\n⟨body⟩\n};", "javascript"),
    ("router.get(⟨q⟩/⟨col⟩⟨q⟩, async (req, res, next) => {\n  try {\n⟨body2⟩\n  } catch (err) {\n"
     "    next(err);\n  }\n});",
     "javascript"),
    ("export async function ⟨fn⟩(⟨w⟩: ⟨cls⟩, ⟨x⟩?: string): Promise<void> {\n  if (⟨w⟩) {\n⟨body2⟩\n  }\n}",
     "typescript"),
]
CONTEXT_HELD_OUT = 3

SAFE = [
    "const ⟨v⟩ = ⟨w⟩.trim();",
    "if (!⟨v⟩) {\n  return null;\n}",
    "console.log(⟨q⟩⟨col⟩⟨q⟩, ⟨v⟩);",
    "const ⟨v⟩ = ⟨w⟩.map((⟨x⟩) => ⟨x⟩.⟨col⟩);",
    "⟨v⟩.push(⟨w⟩);",
    "const ⟨v⟩ = JSON.parse(⟨w⟩);",
    "let ⟨v⟩ = ⟨w⟩.length + 1;",
    "const ⟨v⟩ = await ⟨fn⟩(⟨w⟩);",
    "res.cookie(⟨q⟩⟨col⟩⟨q⟩, ⟨w⟩, { httpOnly: true, secure: true });",
    "const ⟨v⟩ = crypto.createHash(⟨q⟩sha256⟨q⟩).update(⟨w⟩).digest(⟨q⟩hex⟨q⟩);",
    "⟨v⟩.textContent = ⟨w⟩;",
    "const ⟨v⟩ = new https.Agent({ rejectUnauthorized: true });",
    # held out:
    "for (const ⟨x⟩ of ⟨w⟩) {\n  ⟨v⟩.add(⟨x⟩);\n}",
    "const { ⟨col⟩ } = ⟨w⟩;",
    "⟨v⟩ = ⟨w⟩ ?? {};",
]
SAFE_HELD_OUT = 3


def _object(rng: random.Random, split: str, pairs: list[str]) -> str:
    """An object literal, on one line or (sometimes) over several: one pair per line, with or
    without a trailing comma (training), or two pairs per line (held out)."""
    if len(pairs) > 1 and rng.random() < 0.3:
        if split == "test":
            rows = [", ".join(pairs[i : i + 2]) for i in range(0, len(pairs), 2)]
            return "{\n  " + ",\n  ".join(rows) + ",\n}"
        return "{\n  " + ",\n  ".join(pairs) + rng.choice((",\n", "\n")) + "}"
    return "{ " + ", ".join(pairs) + " }"


def statement(kind: str, rng: random.Random, split: str) -> str:
    """A vulnerable statement template of ``kind`` (holes still to fill)."""
    arg = expression(rng, "javascript", split)
    if kind == "cookie-flags":
        off = rng.choice(("httpOnly", "secure"))
        other = "secure: true" if off == "httpOnly" else "httpOnly: true"
        pairs = [f"{off}: false", *extras(rng, [other, "maxAge: 3600000", "sameSite: ⟨q⟩lax⟨q⟩", "path: ⟨q⟩/⟨q⟩"], 2)]
        rng.shuffle(pairs)
        if rng.random() < 0.25:
            return f"app.use(session({{ secret: {arg}, cookie: {_object(rng, split, pairs)} }}));"
        owner = rng.choice(("res", "response", "reply"))
        return f"{owner}.cookie(⟨q⟩⟨col⟩⟨q⟩, {arg}, {_object(rng, split, pairs)});"
    if kind == "small-rsa":
        size = rng.choice(("512", "1024", "1024", "1536"))
        if rng.random() < 0.25:
            return f"const ⟨v⟩ = new NodeRSA({{ b: {size} }});"
        pairs = [f"modulusLength: {size}", *extras(rng, ["publicExponent: 65537", "publicKeyEncoding: ⟨w⟩"], 1)]
        rng.shuffle(pairs)
        fn = rng.choice(("generateKeyPairSync", "generateKeyPair"))
        return f"const ⟨v⟩ = crypto.{fn}(⟨q⟩rsa⟨q⟩, {_object(rng, split, pairs)});"
    if kind == "tls-verify":
        key = rng.choice(("rejectUnauthorized", "rejectUnauthorized", "strictSSL"))
        if key == "rejectUnauthorized" and rng.random() < 0.2:
            return "⟨v⟩.rejectUnauthorized = false;"
        pairs = [f"{key}: false", *extras(rng, ["host: " + arg, "port: 443", "timeout: 5000", "ca: ⟨x⟩"], 2)]
        rng.shuffle(pairs)
        owner = rng.choice(("new https.Agent", "tls.connect", "request", "axios.create"))
        return f"const ⟨v⟩ = {owner}({_object(rng, split, pairs)});"
    if kind == "weak-hash":
        algo = rng.choice(("md5", "sha1", "md5"))
        if rng.random() < 0.3:
            return f"const ⟨v⟩ = crypto.createHmac(⟨q⟩{algo}⟨q⟩, ⟨x⟩).update({arg}).digest(⟨q⟩hex⟨q⟩);"
        tail = rng.choice((".update(" + arg + ").digest(⟨q⟩hex⟨q⟩)", ".update(" + arg + ")", ""))
        return f"const ⟨v⟩ = crypto.createHash(⟨q⟩{algo}⟨q⟩){tail};"
    if kind == "inner-html":
        prop = rng.choice(("innerHTML", "innerHTML", "outerHTML"))
        if rng.random() < 0.3:
            return f"⟨v⟩.{prop} += `<li>${{{arg}}}</li>`;"
        return f"⟨v⟩.{prop} = {arg};"
    raise KeyError(kind)


def render(rng: random.Random, split: str, vulnerable: list[str], n_filler: int,
           decoys: Sequence[str] = ()) -> tuple[str, str]:
    """(source, language) of one function with the given vulnerable kinds among ``n_filler``
    safe statements."""
    values = basic_holes(rng, split, "javascript")
    statements = [pick(SAFE, SAFE_HELD_OUT, split, rng) for _ in range(n_filler)]
    for kind in vulnerable:
        statements.insert(rng.randint(0, len(statements)), statement(kind, rng, split))
    for decoy in decoys:  # concrete code, no holes (coderev.engine.training.decoys)
        statements.insert(rng.randint(0, len(statements)), decoy)
    body = "\n".join(statements) or "return;"
    pool = CONTEXTS[-CONTEXT_HELD_OUT:] if split == "test" else CONTEXTS[:-CONTEXT_HELD_OUT]
    context, language = rng.choice(pool)
    values["body"], values["body2"] = indent(body, "  "), indent(body, "    ")
    return fill(fill(context, values), values) + "\n", language
