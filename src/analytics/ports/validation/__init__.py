"""Input validation shared by every adapter.

Every port method checks all of its arguments with these functions before any
SQL runs. A broken rule raises ``InvalidInput`` naming the field path
(``record.cost_usd``, ``records[3].cost_usd``) and the offending value.
"""
