"""Server apps the capacity, fan-out and flood benchmarks run in their own processes."""
