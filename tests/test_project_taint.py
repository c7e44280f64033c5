"""Taint through the project's own functions: other units of the file, other files found
through imports, wrapper classes, project sanitizers; and the incremental invariant when a
helper changes (issue 18)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from coderev.analyzers import Analyzer, Document, UnitCache, get_language
from coderev.analyzers.finding import Evidence, Finding, Severity
from coderev.analyzers.languages import language_for_path
from coderev.analyzers.project_files import Project

ANALYZER = Analyzer()


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content), encoding="utf-8")


def scan(root: Path, name: str, project: Project | None = None) -> list[Finding]:
    path = root / name
    language = language_for_path(path)
    document = Document(path.read_text(encoding="utf-8"), language)
    return ANALYZER.run(document, project=project or Project(root), path=path).findings


def errors(findings: list[Finding], category: str) -> list[Finding]:
    return [f for f in findings if f.category == category and f.severity is Severity.ERROR]


PY_HELPERS = {
    "helpers/__init__.py": "",
    "helpers/params.py": """
        from flask import request

        def get_param(name):
            return request.args.get(name)

        def digits_only(value):
            return int(value)

        def passthrough(value):
            return value.strip()
        """,
    "helpers/wrapper.py": """
        class SeparateRequest:
            def __init__(self, request):
                self.request = request

            def get_the_parameter(self, name):
                return self.request.form.get(name)

        def wrap(request):
            return SeparateRequest(request)
        """,
}


def test_a_source_returned_by_a_function_in_another_file(tmp_path: Path) -> None:
    write(tmp_path, {**PY_HELPERS, "app.py": """
        import os
        from helpers.params import get_param

        def run():
            os.system("ls " + get_param("dir"))
        """})
    found = errors(scan(tmp_path, "app.py"), "command-injection")
    assert found, "the helper's source reaches os.system"
    trace = found[0].trace
    assert found[0].evidence is Evidence.SOURCE
    assert any(step.path == "helpers/params.py" and step.span.start_row == 4 for step in trace)
    assert trace[-1].label.startswith("sink:")


def test_a_helper_returning_request_data_is_no_source_of_another_class(tmp_path: Path) -> None:
    """A summary traces request sources: a rule that asks only about `random` ("-request") does
    not see request data returned by a helper as a weak random value."""
    write(tmp_path, {**PY_HELPERS, "app.py": """
        import random
        from flask import session
        from helpers.params import get_param

        def remember():
            session["token"] = get_param("token")
            session["key"] = str(random.random())[2:]
        """})
    found = [f for f in scan(tmp_path, "app.py") if f.rule_id == "python.weak-crypto.insecure-random-session-value"]
    assert [f.span.start_row for f in found] == [7]


def test_a_wrapper_class_in_another_module(tmp_path: Path) -> None:
    write(tmp_path, {**PY_HELPERS, "app.py": """
        import os
        from flask import request
        from helpers.wrapper import SeparateRequest, wrap

        def one():
            scr = SeparateRequest(request)
            param = scr.get_the_parameter("x")
            os.system("ls " + param)

        def two():
            os.system("ls " + wrap(request).get_the_parameter("y"))
        """})
    rows = sorted(f.span.start_row for f in errors(scan(tmp_path, "app.py"), "command-injection"))
    assert rows == [8, 11]


def test_a_project_sanitizer_and_a_pass_through(tmp_path: Path) -> None:
    write(tmp_path, {**PY_HELPERS, "app.py": """
        import os
        from flask import request
        from helpers import params

        def clean():
            os.system("ls " + params.digits_only(request.args["n"]))

        def dirty():
            os.system("ls " + params.passthrough(request.args["n"]))
        """})
    found = scan(tmp_path, "app.py")
    assert [f.span.start_row for f in errors(found, "command-injection")] == [9]
    assert all(f.severity is not Severity.ERROR for f in found if f.span.start_row == 6)


def test_another_unit_of_the_same_file_without_a_project(tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import os
        from flask import request

        def user_dir():
            return request.args["dir"]

        def run():
            os.system("ls " + user_dir())
        """)
    document = Document(code, get_language("python"))
    assert [f.span.start_row for f in errors(ANALYZER.analyze(document), "command-injection")] == [8]


def test_java_helper_class_of_the_same_package(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/org/example/helpers/SeparateClassRequest.java": """
            package org.example.helpers;

            import javax.servlet.http.HttpServletRequest;

            public class SeparateClassRequest {
                private HttpServletRequest request;

                public SeparateClassRequest(HttpServletRequest request) { this.request = request; }

                public String getTheParameter(String p) { return request.getParameter(p); }

                public String getTheValue(String p) { return "bar"; }
            }
            """,
        "src/org/example/web/Test01.java": """
            package org.example.web;

            import org.example.helpers.SeparateClassRequest;

            public class Test01 extends HttpServlet {
                public void doPost(HttpServletRequest request, HttpServletResponse response) throws Exception {
                    SeparateClassRequest scr = new SeparateClassRequest(request);
                    String param = scr.getTheParameter("Test01");
                    Runtime.getRuntime().exec("cmd /c " + param);
                }

                public void doGet(HttpServletRequest request, HttpServletResponse response) throws Exception {
                    SeparateClassRequest scr = new SeparateClassRequest(request);
                    String param = scr.getTheValue("Test01");
                    Runtime.getRuntime().exec("cmd /c " + param);
                }
            }
            """,
    })
    found = errors(scan(tmp_path, "src/org/example/web/Test01.java"), "command-injection")
    assert [f.span.start_row for f in found] == [9]


def test_javascript_required_module(tmp_path: Path) -> None:
    write(tmp_path, {
        "lib/util.js": """
            function userId(req) { return req.query.id }
            function fixed() { return 'all' }
            module.exports = { userId, fixed }
            """,
        "routes.js": """
            const { userId, fixed } = require('./lib/util')
            const child_process = require('child_process')
            app.get('/a', (req, res) => { child_process.exec('ls ' + userId(req)) })
            app.get('/b', (req, res) => { child_process.exec('ls ' + fixed()) })
            """,
    })
    found = errors(scan(tmp_path, "routes.js"), "command-injection")
    assert [f.span.start_row for f in found] == [3]


def test_editing_a_helper_changes_its_callers_as_a_full_analysis_does(tmp_path: Path) -> None:
    write(tmp_path, {**PY_HELPERS, "app.py": """
        import os
        from helpers.params import passthrough

        def run(request):
            os.system("ls " + passthrough(request.args["d"]))
        """})
    project = Project(tmp_path)
    app = tmp_path / "app.py"
    document = Document(app.read_text(encoding="utf-8"), get_language("python"))
    cache = UnitCache()
    first = ANALYZER.run(document, cache, project=project, path=app).findings
    assert errors(first, "command-injection")
    helper = tmp_path / "helpers/params.py"
    helper.write_text(helper.read_text(encoding="utf-8").replace("return value.strip()", "return int(value)"),
                      encoding="utf-8")
    incremental = ANALYZER.run(document, cache, project=project, path=app).findings
    full = ANALYZER.run(Document(app.read_text(encoding="utf-8"), get_language("python")),
                        project=Project(tmp_path), path=app).findings
    assert incremental == full
    assert not errors(incremental, "command-injection")
    assert cache.matched == 1  # only the unit that calls the helper was matched again


HELPER_VARIANTS = [
    "def passthrough(value):\n    return value.strip()\n",  # passes its parameter on
    "def passthrough(value):\n    return int(value)\n",  # a sanitizer
    "from flask import request\n\ndef passthrough(value):\n    return request.args['x']\n",  # returns a source
    "def other(value):\n    return value\n",  # the function is gone
    "def passthrough(value:\n    return value\n",  # broken syntax
    "",  # an empty file
    "def passthrough(value):\n    if 1 > 2:\n        return value\n    return 'fixed'\n",  # a dead branch
]
CALLERS = (
    "import os\nfrom helpers.params import passthrough\n\n"
    "def run(request):\n    os.system('ls ' + passthrough(request.args['d']))\n\n"
    "def other(request):\n    os.system('ls ' + passthrough('x'))\n"
)


@pytest.mark.parametrize("order", [
    [0, 1, 2, 3, 4, 5, 6, 0],
    [2, 6, 1, 4, 0, 5, 3, 2],
    [5, 0, 4, 1, 6, 2, 3, 1],
])
def test_incremental_equals_full_across_helper_edits(tmp_path: Path, order: list[int]) -> None:
    """Invariant 3 across files: after each edit of a helper, the caller's incremental findings
    (unit cache, one long-lived project) equal a full analysis with a fresh project."""
    write(tmp_path, {"helpers/__init__.py": "", "helpers/params.py": HELPER_VARIANTS[0], "app.py": CALLERS})
    app, helper = tmp_path / "app.py", tmp_path / "helpers" / "params.py"
    project, cache = Project(tmp_path), UnitCache()
    document = Document(CALLERS, get_language("python"))
    for step, variant in enumerate(order):
        helper.write_text(HELPER_VARIANTS[variant], encoding="utf-8")
        os.utime(helper, ns=(step * 10**9, step * 10**9))  # a new time stamp even within one clock tick
        incremental = ANALYZER.run(document, cache, project=project, path=app).findings
        full = ANALYZER.run(Document(CALLERS, get_language("python")), project=Project(tmp_path), path=app).findings
        assert incremental == full, f"after helper variant {variant}"
        flagged = bool(errors(full, "command-injection"))
        if variant != 4:  # passes it on, returns a source, or is not known (any call passes taint on)
            assert flagged == (variant in (0, 2, 3, 5)), f"helper variant {variant}"


def test_functions_that_call_each_other_across_files_end(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.py": "from b import g\n\ndef f(x):\n    return g(x)\n",
        "b.py": "from a import f\n\ndef g(x):\n    return f(x)\n",
        "app.py": "import os\nfrom a import f\n\ndef run(request):\n    os.system('ls ' + f(request.args['d']))\n",
    })
    assert errors(scan(tmp_path, "app.py"), "command-injection")  # not known past one level: passes taint on


def test_a_long_chain_of_calls_on_a_local_is_no_recursion(tmp_path: Path) -> None:
    chain = "x = Builder(request)\n    y = x" + ".step()" * 3000 + "\n    os.system(y)\n"
    write(tmp_path, {"app.py": "import os\n\ndef run(request):\n    " + chain})
    scan(tmp_path, "app.py")  # no RecursionError; whatever it finds


def test_an_interface_or_abstract_method_is_not_a_sanitizer(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/org/example/helpers/Thing.java": """
            package org.example.helpers;
            public interface Thing { String doSomething(String value); }
            """,
        "src/org/example/web/T.java": """
            package org.example.web;
            import org.example.helpers.Thing;
            public class T extends HttpServlet {
                public void doPost(HttpServletRequest request, HttpServletResponse response) throws Exception {
                    Thing thing = ThingFactory.createThing();
                    String bar = thing.doSomething(request.getParameter("p"));
                    Runtime.getRuntime().exec("cmd /c " + bar);
                }
            }
            """,
        "helpers.py": "class Base:\n    def normalize(self, value):\n        raise NotImplementedError\n",
        "app.py": "import os\nfrom helpers import Base\n\ndef run(request):\n"
                  "    os.system('ls ' + Base().normalize(request.args['d']))\n",
    })
    assert errors(scan(tmp_path, "src/org/example/web/T.java"), "command-injection")
    assert errors(scan(tmp_path, "app.py"), "command-injection")


def test_a_module_imported_inside_the_function_and_a_wrapper_built_there(tmp_path: Path) -> None:
    write(tmp_path, {
        "helpers/__init__.py": "",
        "helpers/separate_request.py": """
            class SeparateClassRequest:
                def __init__(self, request):
                    self._request = request

                def get_form_parameter(self, name):
                    return self._request.form.get(name)

            def request_wrapper(request):
                return SeparateClassRequest(request)
            """,
        "app.py": """
            import os
            from flask import request

            @app.route("/x", methods=["POST"])
            def view():
                import helpers.separate_request
                wrapped = helpers.separate_request.request_wrapper(request)
                param = wrapped.get_form_parameter("x")
                os.system("ls " + param)
            """,
    })
    assert [f.span.start_row for f in errors(scan(tmp_path, "app.py"), "command-injection")] == [9]


def test_java_qualified_names_and_static_helpers(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/org/example/helpers/SeparateClassRequest.java": """
            package org.example.helpers;
            public class SeparateClassRequest {
                private javax.servlet.http.HttpServletRequest request;
                public SeparateClassRequest(javax.servlet.http.HttpServletRequest request) { this.request = request; }
                public String getTheParameter(String p) { return request.getParameter(p); }
            }
            """,
        "src/org/example/helpers/Utils.java": """
            package org.example.helpers;
            public class Utils {
                public static String passThrough(String value) { return value.trim(); }
                public static String digitsOnly(String value) { return String.valueOf(Integer.parseInt(value)); }
            }
            """,
        "src/org/example/web/T.java": """
            package org.example.web;
            public class T extends HttpServlet {
                public void doPost(HttpServletRequest request, HttpServletResponse response) throws Exception {
                    org.example.helpers.SeparateClassRequest scr =
                        new org.example.helpers.SeparateClassRequest(request);
                    String param = scr.getTheParameter("p");
                    Runtime.getRuntime().exec("cmd /c " + org.example.helpers.Utils.passThrough(param));
                    Runtime.getRuntime().exec("cmd /c " + org.example.helpers.Utils.digitsOnly(param));
                }
            }
            """,
    })
    assert [f.span.start_row for f in errors(scan(tmp_path, "src/org/example/web/T.java"), "command-injection")] == [7]
