"""Benchmarks at Tunxi, Huangshan and province-slice scale (see docs/PERFORMANCE.md)."""
