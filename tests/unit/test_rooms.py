"""Room tokens and their revocation, in one process and shared through a store (rooms.py).

The Redis store itself runs against a real redis-server in tests/scaleout; here a store that
lives in memory stands in for the other workers, and a Redis client pointed at a closed port
is a Redis that is down.
"""

from __future__ import annotations

import pytest

from dash_live.core.exceptions import MessageQueueError
from dash_live.push.rooms import AUTH_KEY, RedisRevocations, RoomSigner
from devtools.processes import free_port


class SharedStore:
    """Revocations kept where every signer of the test sees them, as Redis is for workers."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def record(self, key: str, revoked: float, keep: float) -> None:
        self.times[key] = max(revoked, self.times.get(key, revoked))

    def revoked(self, keys: list[str]) -> list[float | None]:
        return [self.times.get(key) for key in keys]


def signers(secret: str = "one secret") -> tuple[RoomSigner, RoomSigner]:
    """Two workers' signers of one app: the same secret, one shared store."""
    shared = SharedStore()
    return RoomSigner(secret, shared=shared), RoomSigner(secret, shared=shared)


def test_a_revocation_in_one_worker_voids_the_token_in_another() -> None:
    first, second = signers()
    token = first.token("news", "tab:1")
    assert second.rooms_in({AUTH_KEY: [token]}, "tab:1") == ["news"]
    first.revoke("news", "tab:1")
    assert second.rooms_in({AUTH_KEY: [token]}, "tab:1") == []
    # A token issued after the revocation (the tab was put back in the room) is honoured.
    first.clock = second.clock = lambda: 2e9
    fresh = first.token("news", "tab:1")
    assert second.rooms_in({AUTH_KEY: [fresh, token]}, "tab:1") == ["news"]


def test_revocations_of_other_rooms_holders_or_apps_do_not_apply() -> None:
    first, second = signers()
    token = first.token("news", "tab:1")
    first.revoke("news", "tab:2")
    first.revoke("sport", "tab:1")
    assert second.rooms_in({AUTH_KEY: [token]}, "tab:1") == ["news"]
    # Another app (another secret) on the same store names its revocations apart.
    other = RoomSigner("another secret", shared=first.shared)
    other.revoke("news", "tab:1")
    assert second.rooms_in({AUTH_KEY: [token]}, "tab:1") == ["news"]


def test_the_store_names_neither_rooms_nor_holders() -> None:
    first, _ = signers()
    first.revoke("payroll", "user:alice")
    (key,) = first.shared.times  # type: ignore[union-attr]
    assert "payroll" not in key
    assert "alice" not in key


def test_with_redis_down_leave_room_says_the_revocation_stayed_in_this_process() -> None:
    down = RedisRevocations(f"redis://127.0.0.1:{free_port()}/0")
    signer = RoomSigner("one secret", shared=down)
    token = signer.token("news", "tab:1")
    with pytest.raises(MessageQueueError, match="revoked in this process, but Redis") as caught:
        signer.revoke("news", "tab:1")
    assert caught.value.delivered_locally
    # This process refuses the token all the same.
    assert signer.rooms_in({AUTH_KEY: [token]}, "tab:1") == []


def test_with_redis_down_a_reconnecting_tab_gets_no_room_rather_than_a_revoked_one() -> None:
    down = RedisRevocations(f"redis://127.0.0.1:{free_port()}/0")
    signer = RoomSigner("one secret", shared=down)
    assert signer.rooms_in({AUTH_KEY: [signer.token("news", "tab:1")]}, "tab:1") == []
