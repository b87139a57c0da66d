"""conftest.py's hook: in CI (CI=true) a skipped test is a failure, elsewhere a skip."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTESTS = [Path(__file__).parent / "conftest.py"]
CONFTESTS.append(Path(__file__).parents[1] / "service" / "tests" / "conftest.py")

SKIPPING = """
import pytest

@pytest.mark.skipif(True, reason="no engine")
def test_marked():
    pass

def test_imperative():
    pytest.skip("no tool")

@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False
"""


@pytest.mark.parametrize("ci", ["true", ""])
@pytest.mark.parametrize("conftest", CONFTESTS, ids=["tests", "service"])
def test_a_skip_fails_only_in_ci(pytester, monkeypatch, conftest, ci):
    # The hook alone: the service conftest's fixtures need the service's imports.
    source = conftest.read_text()
    end = "    return report\n"
    hook = source[source.index("def _in_ci") : source.index(end) + len(end)]
    pytester.makeconftest("import os\n\nimport pytest\n\n\n" + hook)
    pytester.makepyfile(SKIPPING)
    monkeypatch.setenv("CI", ci)
    result = pytester.runpytest("-rs")
    if ci:
        result.assert_outcomes(errors=1, failed=1, xfailed=1)
        result.stdout.fnmatch_lines(["*skipped in CI (CI=true), where it must run*no tool*"])
    else:
        result.assert_outcomes(skipped=2, xfailed=1)
