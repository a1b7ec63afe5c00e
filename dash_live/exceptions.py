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
    """A push could not be handed to the message queue (Redis) shared by several processes."""


class UnsupportedDashError(DashLiveError, RuntimeError):
    """A feature asked for needs a newer Dash than the one installed."""
