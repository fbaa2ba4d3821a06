"""Which handlers a received message goes to: one table looked up by the topic's last level.

paho's own per-filter callbacks (`message_callback_add`) walk its topic matcher for every message. The hub's
filters end in a literal channel (`hamlet/v1/{site}/+/+/telemetry`, …), so the last level picks the
handlers at once; when one filter alone can have sent a message with that last level, the broker's own
match is the answer and nothing is matched again. Filters ending in a wildcard are matched the slow way.
"""

from __future__ import annotations

from hub.bus.base import Handler
from hub.bus.topics import matches

_WILD = ("+", "#")


class Dispatch:
    def __init__(self) -> None:
        self._by_last: dict[str, list[tuple[str, Handler]]] = {}
        self._wild: list[tuple[str, Handler]] = []
        self._alone: dict[str, Handler] = {}  # last level -> the only handler that can take it

    def add(self, topic_filter: str, handler: Handler) -> None:
        last = topic_filter.rsplit("/", 1)[-1]
        if last in _WILD:
            self._wild.append((topic_filter, handler))
        else:
            self._by_last.setdefault(last, []).append((topic_filter, handler))
        # Only the broker's match is trusted, so a shortcut needs one filter per last level and no wildcard
        # filter that could also have brought the message.
        self._alone = (
            {} if self._wild else {k: v[0][1] for k, v in self._by_last.items() if len(v) == 1}
        )

    def alone(self, topic: str) -> Handler | None:
        """The one handler for this topic when no matching is needed (the common case), else None."""
        return self._alone.get(topic[topic.rfind("/") + 1 :])

    def matching(self, topic: str) -> list[Handler]:
        """Every handler whose filter matches (the slow path)."""
        found = [h for f, h in self._by_last.get(topic[topic.rfind("/") + 1 :], ()) if matches(f, topic)]
        return found + [h for f, h in self._wild if matches(f, topic)]
