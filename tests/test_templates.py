"""Template files (EJS, Handlebars, Pug, HTML templates): scanned by their own pattern rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coderev.analyzers import AnalysisOptions, Analyzer, Document, default_rules
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.languages import TEXT, language_for_path, text_language_for_path
from coderev.analyzers.ruleset import parse_rule

CODEREV = str(Path(sys.executable).with_name("coderev"))
PASSWORD = "Qz7-hT2pW9xLm4"


@pytest.mark.parametrize(
    ("name", "language"),
    [("views/profile.ejs", "ejs"), ("layouts/main.HBS", "handlebars"), ("x.mustache", "handlebars"),
     ("index.pug", "pug"), ("old.jade", "pug"), ("templates/base.html", "html"), ("App.vue", "html"),
     ("page.jinja2", "html"), (".env", "text"), ("settings.yaml", "text")],
)
def test_templates_have_a_text_language_but_no_grammar(name: str, language: str) -> None:
    assert language_for_path(name) is None
    assert text_language_for_path(name).id == language
    assert text_language_for_path(None) is TEXT


def run(text: str, path: str) -> list[tuple[str, int]]:
    analyzer = Analyzer(default_rules(), AnalysisOptions())
    return [(f.rule_id, f.span.start_row + 1) for f in analyzer.run(Document(text, None), path=Path(path)).findings]


def test_each_template_language_gets_only_its_own_rules() -> None:
    ejs = '<p><%- user.bio %></p>\n<p>{{{ user.bio }}}</p>\n'
    assert run(ejs, "views/profile.ejs") == [("templates.xss.ejs-unescaped-output", 1)]
    assert run(ejs, "views/profile.hbs") == [("templates.xss.handlebars-unescaped-output", 2)]
    assert run(ejs, "notes.txt") == []  # a text file has the secrets rules only


def test_secrets_rules_do_not_apply_to_templates_and_templates_are_not_redacted() -> None:
    text = f'password = "{PASSWORD}"\n<div v-html="post.body"></div>\n'
    analyzer = Analyzer(default_rules(), AnalysisOptions())
    (finding,) = analyzer.run(Document(text, None), path=Path("Post.vue")).findings
    assert finding.rule_id == "templates.xss.html-template-unescaped-output"
    assert finding.secret is None and finding.span.start_row == 1
    assert [f.rule_id for f in analyzer.run(Document(text, None), path=Path(".env")).findings] == [
        "secrets.hardcoded-secret.credential-assignment"
    ]


@pytest.mark.parametrize(
    ("path", "comment"),
    [("a.html", "<!-- coderev: ignore[templates.xss.html-template-unescaped-output] -->"),
     ("a.html", "{# coderev: ignore #}"),
     ("a.hbs", "{{! coderev: ignore }}"),
     ("a.ejs", "<%# coderev: ignore %>"),
     ("a.pug", "//- coderev: ignore")],
)
def test_template_comments_suppress(path: str, comment: str) -> None:
    line = {"a.html": "<div>{{ x|safe }}</div>", "a.hbs": "{{{x}}}", "a.ejs": "<%- x %>", "a.pug": "p!= x"}[path]
    assert len(run(f"{line}\n", path)) == 1
    assert run(f"{comment}\n{line}\n", path) == []


def test_a_query_rule_cannot_name_a_template_language(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "coderev/analyzers/rules/python/code-injection-eval-exec.yaml").read_text()
    bad = text.replace("languages: [python]", "languages: [python, ejs]")
    with pytest.raises(CoderevError, match="'ejs' is only valid for pattern rules"):
        parse_rule(tmp_path / "r.yaml", bad)


def test_scan_reports_template_findings_with_their_text(tmp_path: Path) -> None:
    views = tmp_path / "views"
    views.mkdir()
    (views / "comment.ejs").write_text("<div>\n  <%- comment.text %>\n  <%- include('footer') %>\n</div>\n")
    (views / "layout.hbs").write_text("<body>{{{body}}}</body>\n")
    done = subprocess.run([CODEREV, "scan", str(tmp_path), "--format", "json", "--no-progress"],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert [(Path(f["path"]).name, f["start"]["line"], f["rule_id"]) for f in report["findings"]] == [
        ("comment.ejs", 2, "templates.xss.ejs-unescaped-output")
    ]
    assert report["findings"][0]["severity"] == "warning"
