"""Debian's Chromium and the flags every browser run here uses (tests and benchmarks alike).

Headless, no sandbox (root in a container), and no background networking: this machine's closed
network refuses Chromium's own connections, many at a time, without those flags.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
