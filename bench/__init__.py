"""Benchmarks for the CARA services (`make bench`); results are written to bench/results/."""
