"""Benchmarks: computing a quarter, rating taps, and a paced broadcast (not tests; `python -m bench`)."""
