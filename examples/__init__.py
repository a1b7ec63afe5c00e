"""Runnable example apps of dash-live; ``examples.showcase`` is the one ``make demo`` serves."""
