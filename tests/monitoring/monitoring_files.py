"""The monitoring/ files as data for the tests: the alert rules, the promtool tests, the
compose profile's Prometheus configuration, the Grafana dashboard, and the metric names that
their PromQL expressions read."""

import json
import re
from typing import Any

import yaml

from devtools.prometheus_server import MONITORING_DIR, PROMETHEUS_CONFIG

ALERT_RULES = MONITORING_DIR / "prometheus" / "alerts.yml"
RULE_TESTS = sorted((MONITORING_DIR / "tests").glob("*.yml"))
GRAFANA_DIR = MONITORING_DIR / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "site.json"
# Grafana's interval variables, as Prometheus would get them.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}

# Words of PromQL that look like metric names: keywords and operators.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
KEYWORDS |= {"and", "or", "unless", "inf", "nan"}


def load_yaml(path) -> Any:
    return yaml.safe_load(path.read_text())


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(ALERT_RULES)["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def dashboard_panels() -> list[dict[str, Any]]:
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def dashboard_expressions() -> list[str]:
    """Each panel query as Prometheus receives it (Grafana's variables filled in)."""
    expressions = []
    for panel in dashboard_panels():
        for target in panel["targets"]:
            expression = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expression = expression.replace(variable, value)
            expressions.append(expression)
    return expressions


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are neither functions
    (followed by a parenthesis), keywords, label names (inside braces or after by/without/on/
    ignoring) nor durations."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # strings (label values)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\b\d[\w.]*", "", text)  # numbers
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group()
        if text[match.end() :].lstrip().startswith("(") or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names


def prometheus_config() -> dict[str, Any]:
    return load_yaml(PROMETHEUS_CONFIG)
