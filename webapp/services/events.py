"""The domain event bus.

A service emits an event through its unit of work. In that same database transaction
the event is written to the audit log and the in-transaction handlers run (work that is
part of the change, such as opening a new member's "Main" account: if one fails, the
whole change rolls back). After the commit, the after-commit subscribers run (cache
invalidation, metrics, notifications); a failing subscriber is logged and never undoes
the commit.

Both phases are blinker signals whose sender is the event type, so a handler subscribes
to one type with `sender="user.created"` or to every event without a sender.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace

log = logging.getLogger(__name__)
# One JSON line per committed event, beside the request's access line (same requestId).
event_log = logging.getLogger("tally.event")

_signals = Namespace()
in_transaction = _signals.signal("tally.event.in-transaction")
after_commit = _signals.signal("tally.event.after-commit")


@dataclass(frozen=True)
class DomainEvent:
    type: str
    subject: str  # "kind:id", e.g. "user:42"
    data: Mapping[str, Any] = field(default_factory=dict)
    actor_id: int | None = None

    @property
    def subject_id(self) -> int:
        return int(self.subject.rsplit(":", 1)[1])


def subject(kind: str, entity_id: int) -> str:
    return f"{kind}:{entity_id}"


def logged_subject(subject: str) -> str:
    """A subject as a log line shows it: an email typed at a failed login stays in the
    audit log, which admins read, but out of the logs, which many more systems keep."""
    kind, _, _ = subject.partition(":")
    return kind if kind == "email" else subject


def publish_after_commit(events: Iterable[DomainEvent]) -> None:
    """Log each event, and run each of its after-commit subscribers; one failure stops none
    of the others."""
    for event in events:
        event_log.info(
            "event",
            extra={
                "fields": {
                    "eventType": event.type,
                    "subject": logged_subject(event.subject),
                    "actorId": event.actor_id,
                }
            },
        )
        for receiver in after_commit.receivers_for(event.type):
            try:
                receiver(event.type, event=event)
            except Exception:
                log.exception(
                    "after-commit subscriber failed",
                    extra={
                        "fields": {
                            "eventType": event.type,
                            "subject": event.subject,
                            "subscriber": getattr(receiver, "__qualname__", repr(receiver)),
                        }
                    },
                )
