"""The alert rules (monitoring/prometheus/alerts.yml): valid for Debian's promtool (`make
monitoring-tools`), each one unit-tested by monitoring/tests/*.yml, each with a severity and a
section of the runbook."""

import re
import subprocess

import pytest
from django.conf import settings

from devtools.prometheus_server import PROMETHEUS_CONFIG, PROMTOOL
from tests.monitoring.monitoring_files import (
    ALERT_RULES,
    RULE_TESTS,
    alert_rules,
    load_yaml,
    prometheus_config,
)

RUNBOOK = settings.BASE_DIR / "docs" / "runbook.md"

needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="no promtool: make monitoring-tools")


def promtool(*arguments):
    return subprocess.run(
        [PROMTOOL, *arguments], capture_output=True, text=True, timeout=60, cwd=settings.BASE_DIR
    )


@needs_promtool
def test_promtool_checks_the_rules():
    result = promtool("check", "rules", str(ALERT_RULES))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_every_rule_test_passes():
    result = promtool("test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS)


@needs_promtool
def test_a_broken_rule_fails_its_test(tmp_path):
    """The rule tests read the rules they name: a threshold moved makes them fail."""
    (tmp_path / "prometheus").mkdir()
    broken = ALERT_RULES.read_text().replace("(app_search_outbox_pending) > 1000", "(x) > 1000")
    assert broken != ALERT_RULES.read_text()
    (tmp_path / "prometheus" / "alerts.yml").write_text(broken)
    (tmp_path / "tests").mkdir()
    test_file = tmp_path / "tests" / "search.yml"
    test_file.write_text((ALERT_RULES.parent.parent / "tests" / "search.yml").read_text())
    result = promtool("test", "rules", str(test_file))
    assert result.returncode != 0
    assert "alertname: SearchOutboxBacklog" in result.stdout + result.stderr


@needs_promtool
def test_the_compose_profile_configuration_is_valid():
    # --syntax-only: the token file exists only in the container (the rules are checked above).
    result = promtool("check", "config", "--syntax-only", str(PROMETHEUS_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert prometheus_config()["rule_files"] == [ALERT_RULES.name]


def test_every_rule_test_reads_the_rules_prometheus_loads():
    for test_file in RULE_TESTS:
        [rules] = load_yaml(test_file)["rule_files"]
        assert (test_file.parent / rules).resolve() == ALERT_RULES, test_file


def test_every_alert_is_tested_firing_and_quiet():
    firing, quiet = set(), set()
    for test_file in RULE_TESTS:
        for test in load_yaml(test_file)["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case["exp_alerts"] else quiet).add(case["alertname"])
    names = {rule["alert"] for rule in alert_rules()}
    assert names == firing, names ^ firing
    assert names == quiet, names ^ quiet


def test_every_alert_has_a_severity_and_its_runbook_section():
    runbook_anchors = {
        heading.lower() for heading in re.findall(r"^#+ (\w+)$", RUNBOOK.read_text(), re.M)
    }
    for rule in alert_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        assert rule["annotations"]["runbook"] == f"docs/runbook.md#{name.lower()}", name
        assert name.lower() in runbook_anchors, f"docs/runbook.md has no section {name}"
        assert {"summary", "description"} <= set(rule["annotations"]), name
