"""Benchmarks: the flash crowd (flash_crowd.py) and growth (growth.py); see docs/benchmarks.md."""
