"""Data-access layer for LLM and AI-agent cost analytics on SQLite and Postgres."""

__version__ = "0.1.0"
