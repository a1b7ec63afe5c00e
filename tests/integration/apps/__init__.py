"""Apps that integration tests serve from child processes (gunicorn, the dev servers)."""
