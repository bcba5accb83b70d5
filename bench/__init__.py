"""Benchmarks: each reports ratios to a baseline measured by the same script in the same run."""
