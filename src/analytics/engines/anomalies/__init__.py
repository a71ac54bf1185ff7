"""Cost-anomaly detection: spend spikes, sustained drift and budget limits."""

from __future__ import annotations

from analytics.engines.anomalies.detector import CostAnomalyDetector

__all__ = ["CostAnomalyDetector"]
