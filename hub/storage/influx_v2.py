"""InfluxDB 2.x / 3.x through `influxdb-client`, with its SYNCHRONOUS write API only.

The library's default batching writer retries in a background thread, gives up after 180 s and drops
batches refused with a 4xx: the caller would believe points were kept that were not. The synchronous
writer posts in the caller's thread and raises, so write() either commits or raises StoreUnavailable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import urllib3
from influxdb_client.client.exceptions import InfluxDBError
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision

from hub.storage.base import Bucket, Point, StoreUnavailable
from hub.storage.http_client import redact
from hub.storage.line_protocol import chunks, encode_lines
from hub.storage.names import check_field, check_window
from hub.storage.schema import TAG_DEVICE

# 400 (unparsable, field type conflict) and 422 (beyond the retention): no retry of the same data can succeed.
_DATA_REFUSED = (400, 422)
# What the client raises when the server refuses (InfluxDBError, incl. ApiException) or cannot be reached.
_FAILURES = (InfluxDBError, urllib3.exceptions.HTTPError, OSError)
# The generated "enum" is a class of str constants, while write() is annotated with the class itself.
# Nanoseconds: the point's millisecond plus its seq's digits (hub/storage/schema.py), so readings sharing a
# millisecond keep apart. Queries still speak milliseconds: the digits never cross into the next one.
_PRECISION_NS = cast(WritePrecision, WritePrecision.NS)


def flux_string(value: str) -> str:
    """A Flux string literal: backslash, double quote and `${` (interpolation) escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${") + '"'


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def flux_time(ms: int) -> str:
    """RFC 3339 with milliseconds; integer arithmetic, because ms / 1000 as a float can round down a ms."""
    return (_EPOCH + ms * _MS).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def mean_flux(
    bucket: str, measurement: str, device: str, field: str, since_ms: int, until_ms: int, every_ms: int
) -> str:
    check_window(since_ms, until_ms, every_ms)
    # group(): one device may have several series (its group tag changed); InfluxQL merges them, so do we.
    # timeSrc "_start": a bucket is labelled by its start, as in the other stores.
    return (
        f"from(bucket: {flux_string(bucket)})\n"
        f"  |> range(start: {flux_time(since_ms)}, stop: {flux_time(until_ms)})\n"
        f"  |> filter(fn: (r) => r._measurement == {flux_string(measurement)}"
        f" and r.{TAG_DEVICE} == {flux_string(device)} and r._field == {flux_string(check_field(field))})\n"
        "  |> group()\n"
        f'  |> aggregateWindow(every: {int(every_ms)}ms, fn: mean, createEmpty: false, timeSrc: "_start")\n'
    )


class InfluxV2Store:
    name = "influxdb2"

    def __init__(
        self,
        url: str,
        token: str,
        org: str,
        bucket: str,
        *,
        timeout: float = 10.0,
        gzip: bool = False,
        batch_size: int = 5000,
    ) -> None:
        self.url = redact(url)
        self.org = org
        self.bucket = bucket
        self._batch_size = batch_size
        self._client = InfluxDBClient(
            url=url, token=token, org=org, timeout=int(timeout * 1000), enable_gzip=gzip
        )
        self._writer = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, points: Sequence[Point]) -> None:
        for piece in chunks(points, self._batch_size):
            body = encode_lines(piece)
            try:
                self._writer.write(self.bucket, self.org, body, write_precision=_PRECISION_NS)
            except _FAILURES as exc:
                if getattr(exc, "status", None) in _DATA_REFUSED:
                    # The data itself was refused: the writer dead-letters the refused points, keeps the rest.
                    raise ValueError(f"{self.url}/api/v2/write refused the data: {_describe(exc)}") from exc
                raise StoreUnavailable(f"{self.url}/api/v2/write: {_describe(exc)}") from exc

    def query(
        self, measurement: str, device: str, field: str, since_ms: int, until_ms: int, every_ms: int
    ) -> list[Bucket]:
        flux = mean_flux(self.bucket, measurement, device, field, since_ms, until_ms, every_ms)
        try:
            tables = self._client.query_api().query(flux, org=self.org)
        except _FAILURES as exc:
            raise StoreUnavailable(f"{self.url}/api/v2/query: {_describe(exc)}") from exc
        buckets = [_bucket(record) for table in tables for record in table.records]
        return sorted(buckets, key=lambda b: b.ts_ms)

    def ping(self) -> bool:
        return bool(self._client.ping())

    def close(self) -> None:
        self._writer.close()  # type: ignore[no-untyped-call]  # untyped in the library
        self._client.close()  # type: ignore[no-untyped-call]


def _bucket(record: Any) -> Bucket:
    when: datetime = record.get_time()
    value = record.get_value()
    return Bucket((when - _EPOCH) // _MS, None if value is None else float(value))


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    body = getattr(exc, "body", None)
    if status is not None:
        return f"HTTP {status}: {str(body)[:300]}"
    return f"{type(exc).__name__}: {exc}"
