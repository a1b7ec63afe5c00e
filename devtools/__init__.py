"""What the tests and the benchmarks share: servers in child processes and Debian's Chromium.

Not part of dash-live: neither the wheel nor the sdist ships it.
"""
