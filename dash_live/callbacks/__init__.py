"""Event callbacks apart from any transport: the decorator, request check, runner, settings."""
