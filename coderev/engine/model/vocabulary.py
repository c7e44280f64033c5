"""Per-language knowledge the abstraction needs: which syntax nodes are names and string words,
and which names and words stay verbatim.

A name stays verbatim when it carries the vulnerability (``yaml``, ``load``, ``InsecureSkipVerify``,
``setHttpOnly``): it is quoted in one of that language's rule queries, it is written by a rule's
fix template (the model must be able to produce every word a fix introduces, and it can only
produce words it has seen), it is a keyword of the language, or it is on the short API lists
below. Everything else is a user's name and becomes a placeholder.
"""

from __future__ import annotations

import builtins
import keyword
import re
from functools import lru_cache

# The grammar family of each analyzer language (TypeScript and TSX share the JavaScript names).
FAMILY = {"python": "python", "javascript": "javascript", "typescript": "javascript", "tsx": "javascript",
          "go": "go", "java": "java"}

# Node types whose text is a name, per family.
IDENTIFIER_NODES: dict[str, frozenset[str]] = {
    "python": frozenset({"identifier"}),
    "javascript": frozenset({"identifier", "property_identifier", "shorthand_property_identifier",
                             "shorthand_property_identifier_pattern", "type_identifier"}),
    "go": frozenset({"identifier", "field_identifier", "package_identifier", "type_identifier"}),
    "java": frozenset({"identifier", "type_identifier"}),
}
# Node types whose text is the inside of a string literal, per family.
STRING_NODES: dict[str, frozenset[str]] = {
    "python": frozenset({"string_content"}),
    "javascript": frozenset({"string_fragment"}),
    "go": frozenset({"interpreted_string_literal_content", "raw_string_literal_content"}),
    "java": frozenset({"string_fragment", "multiline_string_fragment"}),
}

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "python": (*keyword.kwlist, *(n for n in dir(builtins) if not n.startswith("_"))),
    "javascript": (
        "await", "async", "break", "case", "catch", "class", "const", "continue", "default", "delete", "do",
        "else", "export", "extends", "false", "finally", "for", "from", "function", "if", "import", "in",
        "instanceof", "let", "new", "null", "of", "return", "static", "super", "switch", "this", "throw",
        "true", "try", "typeof", "undefined", "var", "void", "while", "yield", "string", "number", "boolean",
        "any", "unknown", "never", "interface", "type", "readonly", "public", "private", "protected",
        "implements", "enum", "as", "require", "module", "exports", "console", "process", "Promise", "Object",
        "Array", "JSON", "Math", "Date", "Error", "Map", "Set", "Buffer", "window", "document"
    ),
    "go": (
        "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for",
        "func", "go", "goto", "if", "import", "interface", "map", "package", "range", "return", "select",
        "struct", "switch", "type", "var", "nil", "true", "false", "string", "int", "int64", "int32", "uint8",
        "byte", "bool", "error", "float64", "any", "make", "new", "len", "cap", "append", "panic", "recover",
        "err", "ctx", "fmt", "errors", "context", "time", "log", "main"
    ),
    "java": (
        "abstract", "boolean", "break", "byte", "case", "catch", "char", "class", "continue", "default", "do",
        "double", "else", "enum", "extends", "final", "finally", "float", "for", "if", "implements", "import",
        "instanceof", "int", "interface", "long", "native", "new", "null", "package", "private", "protected",
        "public", "return", "short", "static", "super", "switch", "synchronized", "this", "throw", "throws",
        "transient", "try", "void", "volatile", "while", "true", "false", "var", "String", "Object",
        "Integer", "Long", "Double", "Boolean", "List", "Map", "Set", "HashMap", "ArrayList", "Exception",
        "RuntimeException", "System", "Override"
    ),
}

# Security-relevant API names kept verbatim besides the rule vocabulary.
_API_NAMES: dict[str, tuple[str, ...]] = {
    "python": (
        "self", "cls", "request", "app", "os", "sys", "subprocess", "shlex", "yaml", "pickle", "marshal",
        "json", "hashlib", "hmac", "secrets", "random", "requests", "httpx", "urllib", "urlopen", "aiohttp",
        "ssl", "jwt", "lxml", "etree", "xml", "jinja2", "Environment", "Markup", "flask", "django", "cursor",
        "execute", "executemany", "fetchall", "fetchone", "fetchmany", "commit", "connect", "connection",
        "db", "session", "query", "raw", "text", "run", "call", "check_call", "check_output", "Popen",
        "system", "popen", "shell", "verify", "timeout", "Loader", "SafeLoader", "FullLoader", "UnsafeLoader",
        "load", "load_all", "safe_load", "safe_load_all", "full_load", "unsafe_load", "dump", "loads",
        "dumps", "md5", "sha1", "sha256", "sha512", "new", "hexdigest", "digest", "encode", "decode",
        "autoescape", "select_autoescape", "XMLParser", "resolve_entities", "no_network", "load_dtd",
        "fromstring", "parse", "config", "update", "route", "get", "post", "args", "form", "data", "GET",
        "POST", "environ", "open", "read", "write", "close", "path", "join", "with_suffix", "render_template",
        "capture_output", "check", "cwd", "env", "stdout", "stderr", "FileSystemLoader", "PackageLoader",
        "loader", "Flask", "WTF_CSRF_ENABLED", "CSRF_ENABLED", "set_cookie", "httponly", "secure", "samesite",
        "max_age", "response", "make_response", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"
    ),
    "javascript": (
        "req", "res", "app", "express", "cookie", "cookies", "secure", "httpOnly", "sameSite", "maxAge",
        "https", "http", "tls", "Agent", "crypto", "createHash", "createHmac", "update", "digest",
        "generateKeyPairSync", "generateKeyPair", "modulusLength", "NodeRSA", "rejectUnauthorized",
        "strictSSL", "innerHTML", "outerHTML", "textContent", "insecure", "axios", "fetch", "got", "request",
        "session", "body", "query", "params", "headers", "element", "document", "getElementById",
        "querySelector"
    ),
    "go": (
        "http", "Cookie", "SetCookie", "HttpOnly", "Secure", "Name", "Value", "Path", "Domain", "MaxAge",
        "SameSite", "tls", "Config", "InsecureSkipVerify", "MinVersion", "MaxVersion", "VersionSSL30",
        "VersionTLS10", "VersionTLS11", "VersionTLS12", "VersionTLS13", "Transport", "Client",
        "TLSClientConfig", "ResponseWriter", "Request", "w", "r", "c", "gin", "Context", "Dial"
    ),
    "java": (
        "Cookie", "setSecure", "setHttpOnly", "addCookie", "setPath", "setMaxAge", "response", "request",
        "HttpServletResponse", "HttpServletRequest", "MessageDigest", "getInstance", "digest", "SSLContext",
        "init", "Random", "SecureRandom", "java", "security", "util", "nextInt", "nextLong", "nextBytes",
        "getBytes", "update", "toString", "equals"
    ),
}

# Words inside string literals kept verbatim: SQL keywords, operators, algorithm and protocol names.
_STRING_WORDS = frozenset(
    (
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "INSERT", "INTO", "VALUES", "UPDATE",
        "SET", "DELETE", "ORDER", "BY", "GROUP", "LIMIT", "OFFSET", "JOIN", "ON", "AS", "COUNT", "DISTINCT",
        "HAVING", "IS", "NULL", "DESC", "ASC", "select", "from", "where", "and", "or", "insert", "into",
        "values", "update", "set", "delete", "order", "by", "limit", "*", "=", "<=", ">=", "<", ">", "!=",
        "%s", "?", ",", "(", ")", "md5", "sha1", "sha256", "sha512", "sha224", "sha384", "md4", "md2", "MD5",
        "MD4", "MD2", "SHA", "SHA1", "SHA-1", "SHA-256", "SHA-512", "sha-1", "sha-256", "ripemd160",
        "WTF_CSRF_ENABLED", "utf-8", "utf8", "UTF-8", "SSL", "SSLv2", "SSLv3", "TLS", "TLSv1", "TLSv1.1",
        "TLSv1.2", "TLSv1.3", "rsa", "ec", "hex", "base64", "/"
    )
)


def family(language: str) -> str:
    """The grammar family of an analyzer language id (``python`` for unknown ids)."""
    return FAMILY.get(language, "python")


@lru_cache(maxsize=8)
def keep_names(language: str) -> frozenset[str]:
    """Names of ``language`` that are never abstracted."""
    fam = family(language)
    words: set[str] = set(_API_NAMES[fam]) | set(_KEYWORDS[fam]) | _fix_words(fam)
    for query in _queries(fam):
        words.update(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', query))
    return frozenset(words)


@lru_cache(maxsize=8)
def rule_names(language: str) -> frozenset[str]:
    """The names the rules of ``language`` are about: every name-like word inside a string of a
    rule query (``#eq?``/``#any-of?`` arguments and ``#match?`` patterns alike) and every word a
    fix template writes. An expression that holds none of them cannot be what a finding is about
    (:mod:`coderev.engine.model.placeholders`)."""
    fam = family(language)
    words = _fix_words(fam)
    for query in _queries(fam):
        for text in re.findall(r'"((?:\\.|[^"\\])*)"', query):
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
                words.add(text)  # an #eq? / #any-of? name
            else:  # a #match? pattern: its longer words (not character classes or escapes)
                words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}", re.sub(r"\\+[A-Za-z]", " ", text)))
    return frozenset(words - _RECEIVERS)


# The object a method is called on is never the API a finding is about (an SSRF rule's pattern
# may mention ``self.`` as a known host prefix; ``self.rows[0]`` is still only data).
_RECEIVERS = frozenset({"self", "cls", "this"})


def _queries(fam: str) -> list[str]:
    from coderev.analyzers.ruleset import default_rules

    return [r.query for r in default_rules() if any(family(lang) == fam for lang in r.languages)]


def _fix_words(fam: str) -> set[str]:
    from coderev.analyzers.ruleset import default_rules

    words: set[str] = set()
    for rule in default_rules():
        if rule.fix is not None and any(family(lang) == fam for lang in rule.languages):
            for _, replacement in rule.fix.edits:
                words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"\{\{[^}]*\}\}", " ", replacement)))
    return words


@lru_cache(maxsize=8)
def keep_string_words(language: str = "python") -> frozenset[str]:
    """Words inside strings of ``language`` that are never abstracted: the SQL, algorithm and
    protocol words above, every word a rule fix template writes, and the kept names that are not
    plain lowercase words (configuration keys such as ``SESSION_COOKIE_SECURE``). A plain
    lowercase word in a string is data (a shell command, a path, a table) even when it is also an
    API name (``zip``, ``head``, ``chmod``), so it becomes a placeholder the model copies."""
    words = set(_STRING_WORDS) | {w for w in keep_names(language) if not re.fullmatch(r"[a-z]+", w)}
    return frozenset(words | _fix_words(family(language)))
