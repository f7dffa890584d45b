"""Bytes → CloudTrail records, or a reason why not.

Reads every form CloudTrail records come in: delivered log files (`{"Records": [...]}`, usually
gzipped; gzip is detected by its magic bytes, not by the name), JSON Lines of single events, a JSON
array of events, and LookupEvents output (whose events carry the record as a JSON *string* in
`CloudTrailEvent`). Digest files are skipped; Insight events are ordinary records. A record a data
lake exported with lower-case field names gets CloudTrail's names back (`with_cloudtrail_names`).

Nothing here raises for bad input: a file or record that can't be read becomes a `Problem` that
the ingest run quarantines with its reason, and reading goes on.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator

import ijson
import orjson

GZIP_MAGIC = b"\x1f\x8b"
# Real CloudTrail files are a few MB; anything bigger is streamed so memory stays bounded.
IN_MEMORY_LIMIT = 64 * 1024 * 1024
# A gzip file up to this size is read and inflated whole (if it inflates within IN_MEMORY_LIMIT).
WHOLE_GZIP_LIMIT = 16 * 1024 * 1024
# Keys that only CloudTrail records have (at least one of them is in every real record).
CLOUDTRAIL_KEYS = ("eventVersion", "eventID", "eventName", "eventTime", "eventSource", "userIdentity")
SAMPLE_BYTES = 300
READ_CHUNK = 1024 * 1024
# CloudTrail's field names (AWS's "CloudTrail record contents"), by where they sit. Data-lake exports
# (Athena and Glue tables, Snowflake, SIEM data lakes) often write every column name in lower case.
RECORD_NAMES = (
    "eventTime", "eventVersion", "userIdentity", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
    "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
    "requestID", "eventID", "eventType", "apiVersion", "managementEvent", "readOnly", "resources",
    "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId",
    "eventCategory", "addendum", "sessionCredentialFromConsole", "edgeDeviceDetails", "tlsDetails", "insightDetails")
IDENTITY_NAMES = ("type", "principalId", "arn", "accountId", "accessKeyId", "userName", "sessionContext", "invokedBy",
                  "identityProvider", "credentialId", "onBehalfOf", "inScopeOf")
SESSION_NAMES = ("attributes", "sessionIssuer", "webIdFederationData", "sourceIdentity", "ec2RoleDelivery", "ec2Issuer",
                 "assumedRoot")
ATTRIBUTE_NAMES = ("creationDate", "mfaAuthenticated")
ISSUER_NAMES = ("type", "principalId", "arn", "accountId", "userName")


@dataclass(slots=True)
class Problem:
    """Something that could not be read, and why; quarantined, never silently dropped."""

    location: str  # "file", "record 12", "line 7"
    reason: str  # a short stable code: truncated-gzip, not-json, no-records, empty, ...
    detail: str
    sample: str = ""


@dataclass(slots=True)
class Skipped:
    """A file that is deliberately not ingested (a digest file), counted but not an error."""

    reason: str


Item = dict[str, Any] | Problem | Skipped


def is_digest_name(name: str) -> bool:
    return "CloudTrail-Digest" in name


def read_records(name: str, stream: BinaryIO) -> Iterator[Item]:
    """Yield each record of one log object (a file or S3 object) as a dict, or what went wrong."""
    if is_digest_name(name):
        yield Skipped("digest")
        return
    try:
        yield from _read(stream)
    except OSError as error:
        yield Problem("file", "unreadable", str(error))


def _read(stream: BinaryIO) -> Iterator[Item]:
    start = _read_at_most(stream, WHOLE_GZIP_LIMIT + 1)
    if len(start) <= WHOLE_GZIP_LIMIT:  # the whole object: the common case, read without streams
        if start[:2] == GZIP_MAGIC:
            whole = _inflate_whole(start)
        else:
            whole = start if len(start) <= IN_MEMORY_LIMIT else None
        if whole is not None:
            if not whole or whole.isspace():
                yield Problem("file", "empty", "the file has no content")
            else:
                yield from _parse_document(whole)
            return
    raw: BinaryIO = _prefixed(start, stream)
    guard = None
    if start[:2] == GZIP_MAGIC:  # big, broken or odd: streamed, so memory stays bounded, breaks found where they are
        guard = _Gunzip(raw)
        raw = io.BufferedReader(guard, buffer_size=1024 * 1024)
    prefix = _read_at_most(raw, IN_MEMORY_LIMIT + 1)
    if guard and guard.error and len(prefix) <= IN_MEMORY_LIMIT:
        # A small file is parsed whole, so a broken one is quarantined whole: the complete file,
        # when it is delivered again with a new ETag, is read again.
        yield Problem("file", "truncated-gzip", f"gzip stream ends early or is corrupt: {guard.error}")
        return
    if not prefix.strip():
        yield Problem("file", "empty", "the file has no content")
        return
    if len(prefix) <= IN_MEMORY_LIMIT:
        yield from _parse_document(prefix)
        return
    yield from _stream_document(_prefixed(prefix, raw))
    if guard and guard.error:
        yield Problem("file", "truncated-gzip",
                      f"gzip stream ends early or is corrupt; the records before the break were kept: {guard.error}")


def _read_at_most(stream: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes, read a megabyte at a time: read(limit) would allocate all of `limit`
    for every file, however small (16 MB per file cost more than reading it)."""
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(min(READ_CHUNK, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _inflate_whole(compressed: bytes) -> bytes | None:
    """A whole small gzip file (every member) inflated in one call; None when it is not simply
    that (truncated, corrupt, or inflating past IN_MEMORY_LIMIT), for the streaming path to judge.
    Most CloudTrail files are a few KB: streaming them in chunks cost a third of their reading."""
    members, size, rest = [], 0, compressed
    try:
        while rest.startswith(GZIP_MAGIC):
            inflater = zlib.decompressobj(wbits=31)
            member = inflater.decompress(rest, IN_MEMORY_LIMIT + 1 - size)
            if not inflater.eof:
                return None
            members.append(member)
            size += len(member)
            rest = inflater.unused_data
    except zlib.error:
        return None
    return b"".join(members)


def _parse_document(data: bytes) -> Iterator[Item]:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        if _looks_like_json(data):
            yield from _json_lines(io.BytesIO(data))
        else:
            yield Problem("file", "not-json", f"neither JSON nor JSON Lines: {error}",
                          data[:SAMPLE_BYTES].decode("utf-8", "replace"))
        return
    yield from _records_of(document, "record")


def _looks_like_json(data: bytes) -> bool:
    return data.lstrip()[:1] in (b"{", b"[")


def _records_of(document: Any, unit: str) -> Iterator[Item]:
    """Records of one parsed JSON value: a Records file, LookupEvents output, an array, one event."""
    if isinstance(document, list):
        items = document
    elif isinstance(document, dict) and isinstance(document.get("Records"), list):
        items = document["Records"]
    elif isinstance(document, dict) and isinstance(document.get("Events"), list):
        items = document["Events"]  # `aws cloudtrail lookup-events` output
    elif isinstance(document, dict) and "digestStartTime" in document:
        yield Skipped("digest")
        return
    elif isinstance(document, dict):
        items = [document]
        unit = "object"
    else:
        yield Problem("file", "no-records", f"top-level JSON is a {type(document).__name__}, "
                      "not a CloudTrail file", _sample(document))
        return
    for index, item in enumerate(items, start=1):
        yield _record_of(item, unit, index)


def _location(unit: str, index: int) -> str:
    return "file" if unit == "object" else f"{unit} {index}"


def _record_of(item: Any, unit: str, index: int) -> Item:
    """The record, or the Problem with it. The location is spelled out only for a problem: this
    runs once per record."""
    if isinstance(item, dict) and "eventVersion" in item and "CloudTrailEvent" not in item:
        return item  # the common case: a CloudTrail record as delivered
    location = _location(unit, index)
    if not isinstance(item, dict):
        return Problem(location, "not-an-object", f"record is a {type(item).__name__}, not a JSON object",
                       _sample(item))
    embedded = item.get("CloudTrailEvent")
    if isinstance(embedded, str):  # LookupEvents: the record is a JSON string inside the event
        try:
            item = orjson.loads(embedded)
        except orjson.JSONDecodeError as error:
            return Problem(location, "not-json", f"CloudTrailEvent is not JSON: {error}", embedded[:SAMPLE_BYTES])
        if not isinstance(item, dict):
            return Problem(location, "not-an-object", "CloudTrailEvent is not a JSON object", _sample(item))
    record: dict[str, Any] = item
    if not any(key in record for key in CLOUDTRAIL_KEYS):
        record = with_cloudtrail_names(record)
    if not any(key in record for key in CLOUDTRAIL_KEYS):
        reason = "no-records" if location == "file" else "not-cloudtrail"
        detail = ("JSON object without Records" if location == "file"
                  else "object has none of " + ", ".join(CLOUDTRAIL_KEYS) + " (in any case)")
        return Problem(location, reason, detail, _sample(record))
    return record


def with_cloudtrail_names(item: dict[str, Any]) -> dict[str, Any]:
    """A record whose CloudTrail keys were written in lower case (`eventname`, `useridentity`), as
    data-lake exports write columns, with CloudTrail's spelling back: at the top level and in the
    identity, so it reads like the record CloudTrail delivered. What a service logged inside
    `requestParameters` and `responseElements` is left as it is. Any other object comes back as is."""
    if not any(name.lower() in item for name in CLOUDTRAIL_KEYS):
        return item
    restored = _renamed(item, RECORD_NAMES)
    identity = restored.get("userIdentity")
    if isinstance(identity, dict):
        identity = _renamed(identity, IDENTITY_NAMES)
        session = identity.get("sessionContext")
        if isinstance(session, dict):
            session = _renamed(session, SESSION_NAMES)
            for key, names in (("attributes", ATTRIBUTE_NAMES), ("sessionIssuer", ISSUER_NAMES)):
                if isinstance(session.get(key), dict):
                    session[key] = _renamed(session[key], names)
            identity["sessionContext"] = session
        restored["userIdentity"] = identity
    return restored


def _renamed(mapping: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    spelling = {name.lower(): name for name in names}
    return {spelling.get(key, key): value for key, value in mapping.items()}


def _json_lines(stream: BinaryIO) -> Iterator[Item]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield Problem(f"line {number}", "not-json", str(error), line[:SAMPLE_BYTES].decode("utf-8", "replace"))
            continue
        if isinstance(value, dict) and isinstance(value.get("Records"), list):
            yield from _records_of(value, f"line {number} record")
        else:
            yield _record_of(value, "line", number)


def _stream_document(stream: BinaryIO) -> Iterator[Item]:
    """A document too big for memory: JSON Lines if its first line is a whole JSON value, else a
    Records file streamed with ijson (a Records file is often one single line)."""
    head = stream.read(64 * 1024)
    rest = _prefixed(head, stream)
    if not _looks_like_json(head):
        yield Problem("file", "not-json", "neither JSON nor JSON Lines", head[:SAMPLE_BYTES].decode(
            "utf-8", "replace"))
        return
    first_line, newline, _ = head.partition(b"\n")
    if newline and _parses(first_line):
        yield from _json_lines(rest)
    else:
        yield from _stream_records(rest)


def _parses(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _stream_records(stream: BinaryIO) -> Iterator[Item]:
    index = 0
    try:
        for index, item in enumerate(ijson.items(stream, "Records.item", use_float=True), start=1):
            yield _record_of(item, "record", index)
    except ijson.JSONError as error:
        yield Problem(f"record {index + 1}", "not-json", f"JSON breaks off after {index} records: {error}")
    if index == 0:
        yield Problem("file", "no-records", "large JSON document without a Records array")


def _sample(value: Any) -> str:
    try:
        return orjson.dumps(value)[:SAMPLE_BYTES].decode("utf-8", "replace")
    except TypeError:
        return repr(value)[:SAMPLE_BYTES]


class _Gunzip(io.RawIOBase):
    """A gzip stream (one or more members) that ends like a normal file when it breaks off.

    Unlike GzipFile, which loses the bytes of the read that hits a truncation, every byte that can
    be decompressed is given out; `error` then says why the stream ended early, so the parser keeps
    every record before the break and the reader reports the break once.
    """

    CHUNK = 256 * 1024

    def __init__(self, compressed: BinaryIO) -> None:
        self._compressed = compressed
        self._zlib = zlib.decompressobj(wbits=31)
        self._pending = memoryview(b"")
        self._input_done = False
        self.error: Exception | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not (self._input_done and not self._zlib.unconsumed_tail) and not self.error:
            self._pending = memoryview(self._inflate())
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def _inflate(self) -> bytes:
        try:
            if self._zlib.unconsumed_tail:
                return self._zlib.decompress(self._zlib.unconsumed_tail, self.CHUNK)
            chunk = self._compressed.read(self.CHUNK)
            if self._zlib.eof:
                rest = self._zlib.unused_data + chunk
                if not rest.startswith(GZIP_MAGIC):
                    if not chunk:
                        self._input_done = True
                    return b""  # trailing bytes after the last member: ignored, as gzip does
                self._zlib = zlib.decompressobj(wbits=31)  # another gzip member follows
                return self._zlib.decompress(rest, self.CHUNK)
            if not chunk:
                self._input_done = True
                if not self._zlib.eof:
                    self.error = EOFError("the gzip stream ends before its end marker (truncated file)")
                return b""
            return self._zlib.decompress(chunk, self.CHUNK)
        except zlib.error as error:
            self.error = error
            return b""


def _prefixed(prefix: bytes, rest: BinaryIO) -> io.BufferedReader:
    return io.BufferedReader(_Prefixed(prefix, rest), buffer_size=1024 * 1024)


class _Prefixed(io.RawIOBase):
    """A stream that first gives back bytes already read from it (for sniffing) and then the rest."""

    def __init__(self, prefix: bytes, rest: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        chunk = self._rest.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
