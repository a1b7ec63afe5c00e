"""The errors dash-live raises. All derive from :class:`DashLiveError`.

Each also subclasses the builtin whose meaning it shares, so ``except ValueError`` keeps working
for code that does not know about dash-live.
"""

from __future__ import annotations


class DashLiveError(Exception):
    """Base class of every dash-live error."""


class InvalidUpdateError(DashLiveError, ValueError):
    """A component id, prop name or update operation is not one dash-live can send."""


class PayloadError(DashLiveError, TypeError):
    """A value cannot be serialised to JSON the way Dash serialises callback outputs."""


class PayloadTooLargeError(DashLiveError, ValueError):
    """An encoded message is larger than the configured limit."""


class InvalidEventNameError(DashLiveError, ValueError):
    """A Socket.IO event name cannot be delivered to a ``data-<event>`` prop."""


class TargetError(DashLiveError, ValueError):
    """A push names no recipient, or names one in a form that cannot be addressed."""


class NotAttachedError(DashLiveError, RuntimeError):
    """A push was attempted before Socket.IO was attached to an app or configured."""


class MessageQueueError(DashLiveError, ConnectionError):
    """A push did not reach every process through the message queue (Redis).

    ``delivered_locally`` says whether it did reach the clients connected to this very process
    (a server process delivers to its own clients before publishing): when True, retrying
    would send those clients the push twice.
    """

    def __init__(self, message: str, *, delivered_locally: bool = False) -> None:
        super().__init__(message)
        self.delivered_locally = delivered_locally


class UnsupportedDashError(DashLiveError, RuntimeError):
    """A feature asked for needs a newer Dash than the one installed."""
