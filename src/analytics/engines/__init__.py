"""Business rules above the ports: anomaly detection, pattern detection, prediction, reports.

Engines import only ``analytics.ports`` and ``analytics.domain``; they take a
unit-of-work factory, settings and a clock.
"""
