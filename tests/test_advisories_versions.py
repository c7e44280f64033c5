"""OSV range semantics per ecosystem: the edge cases that decide whether a version is affected."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from coderev.analyzers.deps.osv import (
    Affected,
    MalformedAdvisory,
    Range,
    affects,
    fixed_in,
    from_osv,
    from_record,
    to_record,
)
from coderev.analyzers.deps.versions import Ecosystem, is_prerelease, normalize_name, parse, same_version

OSV = Path(__file__).parent / "data" / "osv"


def _yaml(name: str) -> Affected:
    advisory = from_osv(yaml.safe_load((OSV / "pypi" / name).read_text()))
    assert advisory is not None
    return advisory.affected[0]


def _ranges(ecosystem: Ecosystem, *events: tuple[str, str], kind: str = "ECOSYSTEM") -> Affected:
    return Affected(ecosystem, "x", (Range(kind, events),), ())


def test_last_affected_includes_that_version_and_nothing_above() -> None:
    py = _yaml("PYSEC-2022-42969.yaml")  # py: introduced 0, last_affected 1.11.0
    assert affects(py, "1.11.0") and affects(py, "1.4.7.dev3") and affects(py, "0.8.0-alpha2")
    assert not affects(py, "1.11.1") and not affects(py, "1.11.0.post1")
    assert fixed_in(py, "1.11.0") is None  # no fixed event: nothing to upgrade to


def test_unsorted_events_are_evaluated_in_version_order() -> None:
    oslo = _yaml("PYSEC-2018-104.yaml")  # 3.9.0-3.19.1, then 0-3.8.1, then 3.20.0-3.23.1
    assert affects(oslo, "3.8.0") and not affects(oslo, "3.8.1") and not affects(oslo, "3.8.5")
    assert affects(oslo, "3.10.0") and fixed_in(oslo, "3.10.0") == "3.19.1"
    assert not affects(oslo, "3.19.1") and affects(oslo, "3.22.0") and fixed_in(oslo, "3.22.0") == "3.23.1"
    assert fixed_in(oslo, "3.0.0") == "3.8.1"


def test_pep440_prereleases_order_below_their_release() -> None:
    invenio = _yaml("PYSEC-2019-26.yaml")  # introduced 0, fixed 1.0.0a12
    assert affects(invenio, "1.0.0a11") and affects(invenio, "1.0.0.dev3")
    assert not affects(invenio, "1.0.0a12") and not affects(invenio, "1.0.0rc1") and not affects(invenio, "1.0.0")
    fixed_at_1 = _ranges(Ecosystem.PYPI, ("introduced", "0"), ("fixed", "1.0"))
    assert affects(fixed_at_1, "1.0rc1") and affects(fixed_at_1, "1.0.dev0") and not affects(fixed_at_1, "1.0.0")
    assert not affects(fixed_at_1, "1.0.post1")


def test_introduced_zero_without_fix_covers_every_version() -> None:
    everything = _ranges(Ecosystem.NPM, ("introduced", "0"))
    assert affects(everything, "0.0.1") and affects(everything, "99.0.0-rc.1")
    assert not affects(everything, "not-a-version")


def test_a_release_named_0_is_a_version_not_the_sentinel() -> None:
    """OSV's ``introduced: "0"`` means "from the start"; a package whose first release is "0"
    (keystonemiddleware, mistral) is still at a real version that the range holds."""
    fixed_at_1 = _ranges(Ecosystem.PYPI, ("introduced", "0"), ("fixed", "1.0"))
    assert affects(fixed_at_1, "0") and affects(fixed_at_1, "0.0") and fixed_in(fixed_at_1, "0") == "1.0"
    later = _ranges(Ecosystem.PYPI, ("introduced", "0.5"), ("fixed", "1.0"))
    assert not affects(later, "0")


def test_limit_ends_a_range() -> None:
    limited = _ranges(Ecosystem.PYPI, ("introduced", "0"), ("limit", "2.0"))
    assert affects(limited, "1.9") and not affects(limited, "2.0") and not affects(limited, "3.0")


def test_explicit_versions_match_their_pep440_spellings() -> None:
    listed = Affected(Ecosystem.PYPI, "x", (), ("2.10", "1.0.0"))
    assert affects(listed, "2.10.0") and affects(listed, "1.0") and not affects(listed, "2.1")


def test_git_ranges_are_skipped_and_unorderable_ranges_are_not_guessed() -> None:
    advisory = from_osv({"id": "X-1", "affected": [{
        "package": {"ecosystem": "PyPI", "name": "Foo_Bar"},
        "ranges": [{"type": "GIT", "repo": "https://example.org/r", "events": [{"introduced": "abc123"}]},
                   {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "not a version!"}]}],
    }]})
    assert advisory is not None
    (entry,) = advisory.affected
    assert entry.name == "foo-bar" and [r.kind for r in entry.ranges] == ["ECOSYSTEM"]
    assert not affects(entry, "1.0")


def test_npm_semver_prereleases_and_build_metadata() -> None:
    lodash = _ranges(Ecosystem.NPM, ("introduced", "0"), ("fixed", "4.17.21"), kind="SEMVER")
    assert affects(lodash, "4.17.21-beta.1") and affects(lodash, "4.17.20")
    assert not affects(lodash, "4.17.21") and not affects(lodash, "4.17.21+build.5") and not affects(lodash, "4.18.0")
    assert parse(Ecosystem.NPM, "1.0.0-beta.2") < parse(Ecosystem.NPM, "1.0.0-beta.11")  # type: ignore[operator]


def test_go_pseudo_versions_and_incompatible_modules() -> None:
    text = _ranges(Ecosystem.GO, ("introduced", "0"), ("fixed", "0.3.7"), kind="SEMVER")
    assert affects(text, "v0.0.0-20170915032832-14c0d48ead0c") and affects(text, "v0.3.6")
    assert affects(text, "v0.3.7-0.20210503195748-5c7c50ebbd4f")  # a pseudo-version before v0.3.7
    assert not affects(text, "v0.3.7") and not affects(text, "v0.3.8-0.20220101000000-abcdefabcdef")
    docker = _ranges(Ecosystem.GO, ("introduced", "0"), ("fixed", "20.10.11+incompatible"), kind="SEMVER")
    assert affects(docker, "v20.10.10+incompatible") and not affects(docker, "v20.10.11+incompatible")
    assert same_version(Ecosystem.GO, "v1.2.3", "1.2.3") and is_prerelease(Ecosystem.GO, "v0.0.0-2021-abc")


def test_maven_qualifiers_order_as_maven_orders_them() -> None:
    log4j = Affected(Ecosystem.MAVEN, "org.apache.logging.log4j:log4j-core", (
        Range("ECOSYSTEM", (("introduced", "2.13.0"), ("fixed", "2.15.0"))),
        Range("ECOSYSTEM", (("introduced", "2.0-beta9"), ("fixed", "2.3.1"))),
        Range("ECOSYSTEM", (("introduced", "2.4"), ("fixed", "2.12.2"))),
    ), ())
    assert not affects(log4j, "2.0-beta8") and affects(log4j, "2.0-beta9") and affects(log4j, "2.0-rc1")
    assert affects(log4j, "2.0") and affects(log4j, "2.3") and not affects(log4j, "2.3.1")
    assert affects(log4j, "2.14.1") and not affects(log4j, "2.15.0") and affects(log4j, "2.15.0-SNAPSHOT")
    assert fixed_in(log4j, "2.11.0") == "2.12.2" and fixed_in(log4j, "2.14.1") == "2.15.0"
    jackson = _ranges(Ecosystem.MAVEN, ("introduced", "0"), ("fixed", "2.12.6.1"))
    assert affects(jackson, "2.12.6") and not affects(jackson, "2.12.6.1") and not affects(jackson, "2.12.7")
    assert affects(jackson, "2.12.6.RELEASE")  # Maven: a qualifier orders below any number at its place
    assert same_version(Ecosystem.MAVEN, "1.0.Final", "1.0") and is_prerelease(Ecosystem.MAVEN, "2.0-M3")
    assert parse(Ecosystem.MAVEN, "${jackson.version}") is None and parse(Ecosystem.MAVEN, "[1.0,2.0)") is None


def test_pypi_names_are_normalized_as_pep503_says() -> None:
    assert normalize_name(Ecosystem.PYPI, "Zope.Interface") == "zope-interface"
    assert normalize_name(Ecosystem.PYPI, "oslo_middleware") == "oslo-middleware"
    assert normalize_name(Ecosystem.NPM, "@Babel/core") == "@Babel/core"  # npm and Maven names are exact


def test_severity_cwe_and_reference_come_from_the_entry() -> None:
    werkzeug = from_osv(yaml.safe_load((OSV / "pypi" / "PYSEC-2023-221.yaml").read_text()))
    assert werkzeug is not None and werkzeug.severity == "HIGH" and werkzeug.score == 7.5
    log4j = from_osv(json.loads((OSV / "other" / "GHSA-jfh8-c2jp-5v3q.json").read_text()))
    assert log4j is not None and (log4j.severity, log4j.score) == ("CRITICAL", 10.0)
    assert log4j.cwe == (20, 400, 502, 917) and log4j.url == "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"
    label_only = from_osv({"id": "GHSA-x", "database_specific": {"severity": "MODERATE"},
                           "affected": [{"package": {"ecosystem": "npm", "name": "a"}, "versions": ["1.0.0"]}]})
    assert label_only is not None and (label_only.severity, label_only.score) == ("MEDIUM", None)
    assert from_record(to_record(log4j)) == log4j


@pytest.mark.parametrize(("entry", "message"), [
    ([], "must be an object"),
    ({"affected": []}, "'id'"),
    ({"id": "A", "affected": {"package": 1}}, "'affected' must be a list"),
    ({"id": "A", "affected": [{"package": {"ecosystem": "PyPI"}}]}, "'affected[0].package'"),
    ({"id": "A", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"},
                               "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1", "introduced": "0"}]}]}]},
     "exactly one key"),
    ({"id": "A", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"},
                               "ranges": [{"type": "ECOSYSTEM", "events": [{"patched": "1"}]}]}]}, "unknown event"),
    ({"id": "A", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "versions": [1, 2]}]}, "versions"),
])
def test_malformed_entries_say_where(entry: object, message: str) -> None:
    with pytest.raises(MalformedAdvisory, match=re.escape(message)):
        from_osv(entry)


def test_other_ecosystems_are_not_kept() -> None:
    assert from_osv({"id": "RUSTSEC-1", "affected": [{"package": {"ecosystem": "crates.io", "name": "a"}}]}) is None
    maven = from_osv({"id": "M", "affected": [{"package": {"ecosystem": "Maven:https://repo.example", "name": "g:a"}}]})
    assert maven is not None and maven.affected[0].ecosystem is Ecosystem.MAVEN
