"""Offline benchmarks run against the shared dev datasets (python -m benchmarks.<name>)."""
