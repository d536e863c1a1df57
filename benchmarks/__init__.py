"""Load benchmarks for Parley. `python -m benchmarks.delivery` (or `make bench`); see docs/performance.md."""
