"""Emitted values, encoded once at the call site and measured against the server's limit."""

from __future__ import annotations

from typing import Any, Protocol

from ..core.exceptions import PayloadTooLargeError
from ..core.serialize import RawJSON, to_json

__all__ = ["PayloadLimit", "SizeChecked", "encode_arg"]


class SizeChecked(Protocol):
    """A server with a payload limit: ``check_size`` raises ``PayloadTooLargeError``."""

    def check_size(self, size: int, what: str) -> None: ...


class PayloadLimit:
    """The largest encoded message a server sends, checked at the call site (both servers)."""

    max_payload_bytes: int

    def set_payload_limit(self, max_payload_bytes: object) -> None:
        if not isinstance(max_payload_bytes, int) or max_payload_bytes <= 0:
            raise ValueError(f"max_payload_bytes must be a positive int, got {max_payload_bytes!r}")
        self.max_payload_bytes = max_payload_bytes

    def check_size(self, size: int, what: str) -> None:
        if size > self.max_payload_bytes:
            raise PayloadTooLargeError(
                f"{what} encodes to {size} bytes, over the limit of {self.max_payload_bytes} "
                "(raise it with attach_socketio(..., max_payload_bytes=N))"
            )


def encode_arg(value: Any, what: str, server: SizeChecked) -> Any:
    """``value`` as JSON text ready to splice into a packet (binary values pass untouched,
    their bytes still counted); ``what`` names it in the error when it is too large.

    >>> class Limit:
    ...     def check_size(self, size, what):
    ...         assert size < 10, what
    >>> encode_arg({"a": 1}, "the payload", Limit())
    RawJSON('{"a":1}')
    """
    if isinstance(value, RawJSON):
        return value
    if _holds_bytes(value):
        server.check_size(_binary_size(value), what)
        return value
    encoded = RawJSON(to_json(value))
    server.check_size(len(encoded), what)
    return encoded


def _binary_size(value: object) -> int:
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return sum(_binary_size(item) for item in value)
    if isinstance(value, dict):
        return sum(_binary_size(item) for item in value.values())
    return len(to_json(value))


def _holds_bytes(value: object) -> bool:
    if isinstance(value, (bytes, bytearray)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_bytes(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_bytes(item) for item in value.values())
    return False
