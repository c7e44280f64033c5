"""Java classes for the synthetic data: the five fix kinds of the Java rules (cookie
``setHttpOnly``/``setSecure``, ``new Random()``, weak ``MessageDigest`` algorithms, old
``SSLContext`` protocols).

Templates use ``⟨name⟩`` holes (:func:`coderev.engine.training.langs.common.fill`). Value expressions
(:func:`coderev.engine.training.langs.common.expression`), filler statements and context shapes each have
a held-out part.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from coderev.engine.training.langs.common import basic_holes, expression, fill, indent, pick

LANGUAGE = "java"
KINDS = ["cookie-httponly", "cookie-secure", "insecure-random", "weak-hash", "tls-version"]

CONTEXTS = [
    "public class ⟨cls⟩ {\n    public void ⟨fn⟩(HttpServletRequest request, HttpServletResponse response) {\n"
    "⟨body⟩\n    }\n}",
    "public class ⟨cls⟩ {\n    private String ⟨fn⟩(String ⟨w⟩) throws Exception {\n⟨body⟩\n        return ⟨w⟩;\n"
    "    }\n}",
    "class ⟨cls⟩ extends HttpServlet {\n    @Override\n    protected void doPost(HttpServletRequest request, "
    "HttpServletResponse response) throws IOException {\n⟨body⟩\n    }\n}",
    # held out:
    "@RestController\npublic class ⟨cls⟩ {\n    @GetMapping(\"/⟨col⟩\")\n    public ResponseEntity<String> ⟨fn⟩("
    "@RequestParam String ⟨w⟩, HttpServletResponse response) {\n⟨body⟩\n        return ResponseEntity.ok(⟨w⟩);\n"
    "    }\n}",
    "public final class ⟨cls⟩ {\n    static byte[] ⟨fn⟩(byte[] ⟨w⟩, HttpServletRequest request) throws Exception {\n"
    "        synchronized (⟨cls⟩.class) {\n⟨body2⟩\n        }\n        return ⟨w⟩;\n    }\n}",
]
CONTEXT_HELD_OUT = 2

SAFE = [
    "String ⟨v⟩ = ⟨w⟩.trim();",
    "if (⟨v⟩ == null) {\n    return;\n}",
    "⟨v⟩.add(⟨w⟩);",
    "log.info(\"⟨col⟩ {}\", ⟨v⟩);",
    "int ⟨v⟩ = ⟨w⟩.length();",
    "Map<String, String> ⟨v⟩ = new HashMap<>();",
    "MessageDigest ⟨v⟩ = MessageDigest.getInstance(\"SHA-256\");",
    "SecureRandom ⟨v⟩ = new SecureRandom();",
    # held out:
    "for (String ⟨x⟩ : ⟨w⟩) {\n    ⟨v⟩.add(⟨x⟩);\n}",
    "Objects.requireNonNull(⟨w⟩, \"⟨col⟩\");",
    "var ⟨v⟩ = List.of(⟨w⟩, ⟨x⟩);",
]
SAFE_HELD_OUT = 3


def statement(kind: str, rng: random.Random, split: str) -> str:
    """A vulnerable statement template of ``kind`` (holes still to fill)."""
    arg = expression(rng, "java", split)
    if kind in ("cookie-httponly", "cookie-secure"):
        off, on = ("setHttpOnly", "setSecure") if kind == "cookie-httponly" else ("setSecure", "setHttpOnly")
        calls = [f"⟨v⟩.{off}(false);", f"⟨v⟩.{on}(true);"]
        if rng.random() < 0.5:
            calls.append("⟨v⟩.setPath(\"/\");")
        rng.shuffle(calls)
        kind_name = rng.choice(("Cookie", "Cookie", "javax.servlet.http.Cookie"))
        return "\n".join([f"{kind_name} ⟨v⟩ = new {kind_name}(\"⟨col⟩\", {arg});", *calls,
                          "response.addCookie(⟨v⟩);"])
    if kind == "insecure-random":
        kind_name = rng.choice(("Random", "Random", "java.util.Random"))
        use = rng.choice(("int ⟨x⟩ = ⟨v⟩.nextInt(100);", "long ⟨x⟩ = ⟨v⟩.nextLong();", ""))
        return f"Random ⟨v⟩ = new {kind_name}();" + ("\n" + use if use else "")
    if kind == "weak-hash":
        algo = rng.choice(("MD5", "SHA-1", "SHA1", "MD5", "MD2", "SHA"))
        owner = rng.choice(("MessageDigest", "MessageDigest", "java.security.MessageDigest"))
        if rng.random() < 0.3:
            return f"byte[] ⟨v⟩ = {owner}.getInstance(\"{algo}\").digest({arg}.getBytes());"
        return f"MessageDigest ⟨v⟩ = {owner}.getInstance(\"{algo}\");\n⟨v⟩.update({arg}.getBytes());"
    if kind == "tls-version":
        protocol = rng.choice(("SSL", "SSLv3", "TLSv1", "TLSv1.1", "SSLv2"))
        tail = rng.choice(("\n⟨v⟩.init(null, null, null);", ""))
        return f"SSLContext ⟨v⟩ = SSLContext.getInstance(\"{protocol}\");{tail}"
    raise KeyError(kind)


def render(rng: random.Random, split: str, vulnerable: list[str], n_filler: int,
           decoys: Sequence[str] = ()) -> tuple[str, str]:
    """(source, language) of one class with the given vulnerable kinds among ``n_filler`` safe
    statements in one method."""
    values = basic_holes(rng, split, "java")
    statements = [pick(SAFE, SAFE_HELD_OUT, split, rng) for _ in range(n_filler)]
    for kind in vulnerable:
        statements.insert(rng.randint(0, len(statements)), statement(kind, rng, split))
    for decoy in decoys:  # concrete code, no holes (coderev.engine.training.decoys)
        statements.insert(rng.randint(0, len(statements)), decoy)
    body = "\n".join(statements) or "return;"
    context = pick(CONTEXTS, CONTEXT_HELD_OUT, split, rng)
    values["body"], values["body2"] = indent(body, " " * 8), indent(body, " " * 12)
    return fill(fill(context, values), values) + "\n", LANGUAGE
