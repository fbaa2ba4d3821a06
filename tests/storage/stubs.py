"""A base for the writer tests' stand-in stores: only `write` matters to them, so reads find nothing, the
store always answers its ping and there is nothing to close."""

from __future__ import annotations

from hub.storage.base import Bucket


class WriteOnlyStore:
    name = "stub"

    def query(self, *_a: object) -> list[Bucket]:
        return []

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass
