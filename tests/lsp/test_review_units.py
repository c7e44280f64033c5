"""What the AI review sends to the model: every function-like node on its own, nested ones and
callbacks included (issue 20), and each AI finding once."""

from __future__ import annotations

import pytest

from coderev.analyzers import Document, get_language
from coderev.analyzers.review_units import MAX_LINES
from coderev.server.lsp import ai_review

APP_FACTORY = '''def init(app):
    @app.route("/digest")
    def digest():
        return hashlib.new("md5", request.data).hexdigest()

    return app
'''


def units(code: str, language: str) -> list[str]:
    document = Document(code, get_language(language))
    return [(n.text or b"").decode().splitlines()[0].strip() for n in ai_review.functions(document.snapshot())]


@pytest.mark.parametrize(
    ("language", "code", "expected"),
    [
        ("python", APP_FACTORY, ["def init(app):", "def digest():"]),
        ("python", "class A:\n    def m(self):\n        def inner():\n            pass\n",
         ["def m(self):", "def inner():"]),
        ("javascript", "app.get('/a', (req, res) => {\n  res.send(req.query.q);\n});\n"
                       "const ids = xs.map((x) => { return x.id; });\n"
                       "router.post('/b', async function (req, res) {\n  res.end();\n});\n",
         ["(req, res) => {", "async function (req, res) {"]),
        ("typescript", "export class C {\n  run(q: string): void {\n    items.forEach((i) => {\n"
                       "      use(i, q);\n    });\n  }\n}\n",
         ["run(q: string): void {", "(i) => {"]),
        ("go", "package m\n\nfunc main() {\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) {\n"
               "\t\tw.Write(nil)\n\t})\n}\n",
         ["func main() {", "func(w http.ResponseWriter, r *http.Request) {"]),
        ("java", "class A {\n  void routes() {\n    app.get(\"/\", ctx -> {\n      ctx.result(\"x\");\n    });\n"
                 "    list.forEach(x -> use(x));\n  }\n}\n",
         ["void routes() {", "ctx -> {"]),
    ],
)
def test_every_function_like_node_is_a_unit_of_its_own(language: str, code: str, expected: list[str]) -> None:
    assert units(code, language) == expected


def test_functions_too_long_for_the_model_are_skipped_but_their_nested_ones_are_not() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES))
    code = f"def outer():\n{body}    def inner():\n        return 1\n"
    assert units(code, "python") == ["def inner():"]
