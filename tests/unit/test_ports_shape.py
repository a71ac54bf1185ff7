"""Shape of the port Protocols: async methods, ``tenant_id`` first, the rest keyword-only."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

import pytest

from analytics.ports import PORT_METHODS, UnitOfWork

EXPECTED_METHODS: dict[str, tuple[str, ...]] = {
    "analytics_reads": (
        "fetch_cost_metrics",
        "fetch_llm_usage",
        "fetch_worker_execution",
        "fetch_cost_spend",
        "fetch_cost_by_model",
        "fetch_cost_by_feature",
    ),
    "cost_anomalies": (
        "fetch_entity_baseline",
        "fetch_entity_today_spend",
        "fetch_tenant_baseline",
        "fetch_tenant_today_spend",
        "fetch_rolling_avg",
        "fetch_baseline_avg",
        "fetch_daily_spend",
        "fetch_monthly_spend",
        "fetch_breach_exists_today",
        "insert_breach_history",
        "insert_breach_histories",
        "fetch_consecutive_breaches",
        "fetch_drift_tracking",
        "update_drift_tracking",
        "insert_drift_tracking",
        "reset_drift_tracking",
        "fetch_retry_comparison",
        "fetch_prompt_comparison",
        "fetch_feature_concentration",
        "fetch_request_comparison",
        "list_active_budgets",
        "upsert_anomaly",
        "upsert_anomalies",
        "list_anomalies",
        "resolve_anomaly",
        "fetch_breach_streaks",
        "fetch_entity_day_activity",
    ),
    "cost_writes": (
        "create_feature_tag",
        "update_feature_tag",
        "create_cost_record",
        "create_or_update_budget",
        "create_cost_records",
        "get_feature_tag",
        "list_feature_tags",
    ),
    "pattern_detection": (
        "fetch_failed_runs",
        "fetch_completed_runs_with_costs",
        "insert_feedback",
        "fetch_feedback_records",
        "acknowledge_feedback",
    ),
    "predictions": (
        "fetch_failure_patterns",
        "fetch_failed_runs",
        "fetch_run_totals",
        "fetch_cost_runs",
        "fetch_predictions",
        "insert_prediction",
        "record_prediction_outcome",
        "count_prediction_outcomes",
    ),
    "run_writes": (
        "record_run",
        "update_run_status",
        "record_trace",
        "update_trace_status",
        "record_worker_run",
        "record_worker_runs",
        "update_worker_run_status",
        "record_runs",
    ),
}


def _ports_by_attribute() -> dict[str, type]:
    """Map each unit-of-work property to the port class its annotation names."""
    ports: dict[str, type] = {}
    for name, member in vars(UnitOfWork).items():
        if isinstance(member, property):
            assert member.fget is not None
            port: type = get_type_hints(member.fget)["return"]
            ports[name] = port
    return ports


PORTS = _ports_by_attribute()
METHOD_CASES = [
    pytest.param(attribute, method, id=f"{attribute}.{method}")
    for attribute, methods in PORT_METHODS.items()
    for method in methods
]


def _port_method(attribute: str, method: str) -> Callable[..., Any]:
    member: Callable[..., Any] = getattr(PORTS[attribute], method)
    return member


def test_port_methods_total() -> None:
    assert sum(len(methods) for methods in PORT_METHODS.values()) == 61


def test_port_methods_match_contract_order() -> None:
    assert PORT_METHODS == EXPECTED_METHODS


def test_port_methods_keys_are_unit_of_work_attributes() -> None:
    assert list(PORT_METHODS) == list(PORTS)


@pytest.mark.parametrize("attribute", list(EXPECTED_METHODS))
def test_port_has_no_unlisted_public_member(attribute: str) -> None:
    public = [name for name in vars(PORTS[attribute]) if not name.startswith("_")]
    assert public == list(PORT_METHODS[attribute])


@pytest.mark.parametrize(("attribute", "method"), METHOD_CASES)
def test_port_method_is_coroutine(attribute: str, method: str) -> None:
    assert inspect.iscoroutinefunction(_port_method(attribute, method))


@pytest.mark.parametrize(("attribute", "method"), METHOD_CASES)
def test_port_method_tenant_id_first(attribute: str, method: str) -> None:
    function = _port_method(attribute, method)
    parameters = list(inspect.signature(function).parameters.values())

    assert parameters[0].name == "self"
    assert parameters[1].name == "tenant_id"
    assert parameters[1].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert parameters[1].default is inspect.Parameter.empty
    assert get_type_hints(function)["tenant_id"] is str


@pytest.mark.parametrize(("attribute", "method"), METHOD_CASES)
def test_port_method_rest_keyword_only(attribute: str, method: str) -> None:
    parameters = list(inspect.signature(_port_method(attribute, method)).parameters.values())

    for parameter in parameters[2:]:
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, parameter.name


@pytest.mark.parametrize(("attribute", "method"), METHOD_CASES)
def test_port_method_has_docstring(attribute: str, method: str) -> None:
    assert inspect.getdoc(_port_method(attribute, method))
