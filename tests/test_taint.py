"""The taint engine on small snippets of every language, and the taint specs' schema."""

# ruff: noqa: E501 - the snippets are code, one per line

from __future__ import annotations

from pathlib import Path

import pytest

from coderev.analyzers.taint import is_tainted, spec_files, spec_for, validate
from tests.check import argument_of

TAINTED = [
    ("javascript", "app.get('/u', (req, res) => { sink(req.query.id) })"),
    ("javascript", "app.get('/u', (req, res) => { const id = req.params.id; const sql = 'SELECT ' + id; sink(sql) })"),
    ("javascript", "app.post('/u', function (req, res) { const { name } = req.body; sink(`<p>${name}</p>`) })"),
    ("javascript", "router.get('/u', async (ctx) => { let q = ctx.request.query.q; q += '!'; sink(q) })"),
    ("javascript", "function h(req, res) { const parts = []; parts.push(req.query.a); sink(parts.join(',')) }"),
    ("javascript", "function h(req, res) { const o = {}; o.url = req.body.url; sink(o) }"),
    ("javascript", "function h(req, res) { for (const f of req.body.files) { sink(f) } }"),
    ("javascript", "app.get('/', (req, res) => { const id = req.query.id; db.all('x', (err, rows) => { sink(id) }) })"),
    ("typescript", "export async function GET(request: NextRequest) { const q = request.nextUrl.searchParams.get('q'); sink(q) }"),
    ("typescript", "app.get('/x', async (c) => { const body = await c.req.json(); sink(body.name) })"),
    ("typescript", "export async function h(req: Request, res: Response) { const u: string = req.query.u as string; sink(u) }"),
    ("go", "package m\nfunc h(w http.ResponseWriter, r *http.Request) { id := r.URL.Query().Get(\"id\"); q := fmt.Sprintf(\"SELECT %s\", id); sink(q) }"),
    ("go", "package m\nfunc h(c *gin.Context) { var p Payload; if err := c.ShouldBindJSON(&p); err != nil { return }; sink(p.Name) }"),
    ("go", "package m\nfunc h(w http.ResponseWriter, req *http.Request) { var b Body; json.NewDecoder(req.Body).Decode(&b); sink(b) }"),
    ("go", "package m\nfunc h(c *gin.Context) { parts := []string{}; parts = append(parts, c.Param(\"x\")); sink(strings.Join(parts, \",\")) }"),
    ("java", "class A { void doGet(HttpServletRequest req, HttpServletResponse resp) { String n = req.getParameter(\"n\"); sink(\"SELECT \" + n); } }"),
    ("java", "class A { String f(@RequestParam String name) { StringBuilder sb = new StringBuilder(); sb.append(\"x\").append(name); sink(sb.toString()); return \"\"; } }"),
    ("java", "class A { void f(HttpServletRequest request) { for (Cookie c : request.getCookies()) { sink(c.getValue()); } } }"),
    ("java", "class A { void f(HttpServletRequest request) { String q = String.format(\"%s\", request.getHeader(\"h\")); sink(q); } }"),
    # the body of a negated validating check runs for the values that failed it
    ("go", "package m\nfunc h(w http.ResponseWriter, r *http.Request) { u := r.Form.Get(\"u\"); if !isValidUser(u) { sink(u) } }"),
    ("javascript", "function h(req, res) { const u = req.query.u; if (!isValidUser(u)) { sink(u) } }"),
    ("go", "package m\nfunc h(w http.ResponseWriter, r *http.Request) { p := filepath.Join(root, filepath.Clean(r.URL.Path)); sink(p) }"),
    # a field named like a numeric member, read from the request itself, is still the request's text
    ("javascript", "app.post('/u', (req, res) => { sink(req.body.length) })"),
]

CLEAN = [
    ("javascript", "app.get('/u', (req, res) => { sink('SELECT 1') })"),
    ("javascript", "app.get('/u', (req, res) => { const id = parseInt(req.query.id, 10); sink('SELECT ' + id) })"),
    ("javascript", "app.get('/u', (req, res) => { let id = req.query.id; id = 'fixed'; sink(id) })"),
    ("javascript", "function h(req, res) { const s = req.query.sort; if (!ALLOWED.includes(s)) { return res.sendStatus(400) } sink(s) }"),
    ("javascript", "function h(req, res) { sink(escapeHtml(req.query.q)) }"),
    ("javascript", "function h(request, res) { const cfg = loadConfig(); sink(cfg.url) }"),
    ("javascript", "function a(req) { const x = req.query.x } function b() { const x = 'k'; sink(x) }"),
    ("javascript", "app.get('/u', async (req, res) => { const page = await fetch(req.query.url); sink(page.body.length.toString()) })"),
    ("javascript", "app.get('/u', (req, res) => { const name = req.query.name; sink('<b>' + name.length + '</b>') })"),
    ("go", "package m\nfunc h(w http.ResponseWriter, r *http.Request) { id, _ := strconv.Atoi(r.FormValue(\"id\")); sink(id) }"),
    ("go", "package m\nfunc h(w http.ResponseWriter, r *http.Request) { sink(\"SELECT 1\") }"),
    ("go", "package m\nfunc h(w http.ResponseWriter, r *http.Request) { u := r.Form.Get(\"u\"); if isValidUser(u) { sink(u) } }"),
    ("go", "package m\nfunc h(w http.ResponseWriter, r *http.Request) { p := filepath.Join(root, filepath.Clean(\"/\" + r.URL.Path)); sink(p) }"),
    ("go", "package m\nfunc h(w http.ResponseWriter, r *http.Request) { p := r.URL.Path; if !strings.HasPrefix(p, \"/ok/\") { return }; sink(p) }"),
    ("java", "class A { void f(HttpServletRequest req) { int id = Integer.parseInt(req.getParameter(\"id\")); sink(\"x\" + id); } }"),
    ("java", "class A { void f(HttpServletRequest req) throws Exception { Process p = new ProcessBuilder(req.getParameter(\"c\")).start(); int code = p.waitFor(); sink(\"exit \" + code); } }"),
    ("java", "class A { String f(@RequestParam int page, String other) { sink(page); return other; } }"),
    ("java", "class A { void f(HttpServletRequest req) { String n = ESAPI.encoder().encodeForSQL(c, req.getParameter(\"n\")); sink(n); } }"),
]

OTHER_CLASSES = [
    ("javascript", "function render() { const h = location.hash.slice(1); sink(decodeURIComponent(h)) }", "dom"),
    ("tsx", "function P() { const v = window.location.search; return <div>{sink(v)}</div> }", "dom"),
    ("javascript", "function main() { const f = process.argv[2]; sink(f) }", "cli"),
    ("javascript", "function main() { sink(process.env.DB_URL) }", "env"),
    ("go", "package m\nfunc main() { sink(os.Args[1]) }", "cli"),
    ("go", "package m\nfunc main() { sink(os.Getenv(\"X\")) }", "env"),
    ("java", "class A { public static void main(String[] args) { sink(args[0]); } }", "cli"),
    ("java", "class A { void f() { sink(System.getenv(\"X\")); } }", "env"),
    ("python", "def f():\n    sink(os.environ['X'])", "env"),
]


@pytest.mark.parametrize(("language", "code"), TAINTED)
def test_source_reaches_sink(language: str, code: str) -> None:
    assert is_tainted(argument_of(code, language), language=language)


@pytest.mark.parametrize(("language", "code"), CLEAN)
def test_constant_or_sanitized_values_are_clean(language: str, code: str) -> None:
    assert not is_tainted(argument_of(code, language), language=language)


@pytest.mark.parametrize(("language", "code", "source_class"), OTHER_CLASSES)
def test_other_source_classes_count_only_when_asked(language: str, code: str, source_class: str) -> None:
    node = argument_of(code, language)
    assert is_tainted(node, {source_class}, language=language)
    assert not is_tainted(node, language=language)


def test_language_is_guessed_from_the_tree() -> None:
    code = "class A { void f(HttpServletRequest req) { sink(req.getParameter(\"x\")); } }"
    assert is_tainted(argument_of(code, "java"))


@pytest.mark.parametrize("path", spec_files(), ids=lambda p: p.stem)
def test_builtin_specs_match_the_schema(path: object) -> None:
    assert validate(path) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["python", "javascript", "typescript", "tsx", "go", "java"])
def test_every_language_has_a_spec(language: str) -> None:
    spec = spec_for(language)
    assert spec is not None and spec.sources.get("request")


BRANCHES = [
    ("java", """class B { public void doPost(HttpServletRequest request, HttpServletResponse response) {
        String param = request.getHeader("X");
        String bar;
        switch (param.charAt(0)) {
            case 'A': bar = param; break;
            case 'B': bar = "bobs_your_uncle"; break;
            default: bar = "safe"; break;
        }
        sink(bar);
    } }""", True),
    ("javascript", "function h(req, res) { let v = req.query.v; if (debug) { v = 'x' } sink(v) }", True),
    ("javascript", "function h(req, res) { let v = req.query.v; v = 'x'; sink(v) }", False),
    ("python", "def v():\n    n = request.args['n']\n    if flag:\n        n = 'fixed'\n    sink(n)", True),
    ("python", "def v():\n    n = request.args.get('next')\n    if not n or urlsplit(n).netloc != '':\n        n = url_for('index')\n    sink(n)", False),
    ("javascript", "function h(req, res) { let n = req.query.next; if (!n.startsWith('/')) { n = '/' } sink(n) }", False),
    ("javascript", "function h(req, res) { let u = req.url.substring(1); if (u.length === 0) { u = 'index.html' } sink(u) }", True),
]


@pytest.mark.parametrize(("language", "code", "expected"), BRANCHES)
def test_a_clean_binding_on_one_branch_keeps_the_taint(language: str, code: str, expected: bool) -> None:
    assert is_tainted(argument_of(code, language), language=language) is expected


HELPERS = [
    ("java", """class T extends HttpServlet {
        public void doPost(HttpServletRequest request, HttpServletResponse response) {
            String param = request.getParameter("p");
            String bar = new Test().doSomething(request, param);
            sink(bar);
        }
        private class Test {
            public String doSomething(HttpServletRequest request, String param) {
                String bar = org.owasp.esapi.ESAPI.encoder().encodeForHTML(param);
                return bar;
            }
        }
    }""", False),
    ("java", """class T extends HttpServlet {
        public void doPost(HttpServletRequest request, HttpServletResponse response) {
            String bar = doSomething(request.getParameter("p"));
            sink(bar);
        }
        private static String doSomething(String param) {
            StringBuilder sb = new StringBuilder("x");
            sb.append(param);
            return sb.toString();
        }
    }""", True),
    ("java", """class T {
        void f(HttpServletRequest request) { sink(name(request)); }
        String name(HttpServletRequest r) { return r.getParameter("name"); }
    }""", True),
    ("python", "class V:\n    def get(self):\n        sink(self.clean(request.args['q']))\n    def clean(self, v):\n        return int(v)", False),
]


@pytest.mark.parametrize(("language", "code", "expected"), HELPERS)
def test_helper_functions_of_the_same_unit_are_followed(language: str, code: str, expected: bool) -> None:
    assert is_tainted(argument_of(code, language), language=language) is expected


def test_a_spec_can_extend_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from coderev.analyzers.taint import spec as spec_module

    (tmp_path / "base.yaml").write_text("languages: [javascript]\nsources:\n  request: [req.query]\nsanitizers: [parseInt]\n")
    (tmp_path / "child.yaml").write_text(
        "extends: base\nlanguages: [typescript]\nsources:\n  request: [ctx.query]\nsanitizers: [Number]\n"
    )
    monkeypatch.setattr(spec_module, "SPEC_DIR", tmp_path)
    child = spec_module.build_spec(spec_module._raw("child"))
    assert child.languages == ("typescript",)
    assert [p.path for p in child.sources["request"]] == ["req.query", "ctx.query"]
    assert child.is_sanitizer("parseInt", "parseInt") and child.is_sanitizer("Number", "Number")


def test_typed_and_call_patterns_are_parsed() -> None:
    from coderev.analyzers.taint.spec import parse_pattern

    typed = parse_pattern("{http.Request}.FormValue")
    assert (typed.type, typed.path, typed.call) == ("http.Request", "FormValue", False)
    call = parse_pattern("os.Getenv()")
    assert (call.type, call.path, call.call) == (None, "os.Getenv", True)


def test_an_origin_check_trusts_the_message() -> None:
    checked = "const f = (event: MessageEvent) => { if (event.origin !== TRUSTED) { return } sink(event.data.url) }"
    unchecked = "const f = (event: MessageEvent) => { log(event.origin); sink(event.data.url) }"
    assert not is_tainted(argument_of(checked, "typescript"), {"dom"}, language="typescript")
    assert is_tainted(argument_of(unchecked, "typescript"), {"dom"}, language="typescript")
