"""CloudTrail files announced on an SQS queue: receive, read, store, and only then delete.

A message is deleted only once every object it names is in the store's ledger (so its events are
stored). A worker that dies leaves its messages to reappear after the visibility timeout; another
worker reads them again, and events already stored are duplicates the store ignores, so nothing is
lost and nothing is stored twice. While a batch is being read, a heartbeat thread keeps its
messages invisible, however large the objects.

A message that is not understood is neither deleted nor read: it reappears after each visibility
timeout until the queue's redrive policy moves it to the dead-letter queue (maxReceiveCount), and
each receive logs why. Messages that announce nothing to read (S3's test event, deletions) and
objects outside the account/region filters are acknowledged: deleted without reading anything.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Callable, Iterator

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from tattletrail.ingest.pipeline import BATCH_EVENTS, ingest
from tattletrail.ingest.summary import IngestSummary, add_summary, later
from tattletrail.reader import is_digest_name
from tattletrail.sources.base import LogObject, SourceError
from tattletrail.sources.notifications import Action, Notification, S3Location, parse_notification
from tattletrail.sources.s3 import KeyFilter, delivery_time_of, download
from tattletrail.stores.base import Store

log = logging.getLogger(__name__)
RECEIVE_LIMIT = 10  # SQS's most messages per receive and per batch call
# Messages gathered (by receives that don't wait) before a batch is read: a store transaction and
# ledger lookups per 50 files rather than per 10.
BATCH_MESSAGES = 50
DOWNLOAD_THREADS = 4

# Called after each batch with what it did (for metrics and progress).
BatchReport = Callable[["BatchOutcome"], None]


@dataclass
class BatchOutcome:
    """One receive's work: the ingest summary, the newest delivery time, and what became of each message."""

    summary: IngestSummary
    newest_delivery: datetime | None = None
    messages: dict[str, int] = field(default_factory=dict)  # ingested, acknowledged, left, unfinished


class QueueWorker:
    """Receives batches of messages from one queue and ingests the objects they name, until stopped."""

    def __init__(self, queue_url: str, store: Store, *, sqs: Any, s3: Any, keys: KeyFilter = KeyFilter(),
                 visibility_timeout: int | None = None, wait_seconds: int = 10,
                 batch_events: int | None = BATCH_EVENTS, batch_messages: int = BATCH_MESSAGES,
                 on_batch: BatchReport | None = None, rules: Any = None, alerter: Any = None) -> None:
        self.queue_url = queue_url
        self.store = store
        self.sqs = sqs
        self.s3 = s3
        self.keys = KeyFilter(keys.accounts, keys.regions)  # times are for listing, not for notifications
        self.wait_seconds = wait_seconds
        self.batch_events = batch_events
        self.batch_messages = batch_messages
        self.rules = rules  # scored at ingest, as `tattletrail ingest` does (None: unscored)
        self.alerter = alerter
        self.on_batch = on_batch
        attributes = self._queue_attributes()
        self.visibility_timeout = visibility_timeout or int(attributes["VisibilityTimeout"])
        if "RedrivePolicy" not in attributes:
            log.warning("%s has no redrive policy: a message that can't be understood or read reappears until "
                        "the queue's retention period ends; give the queue a dead-letter queue "
                        "(see docs/ingest-at-scale.md)", queue_url)

    def run(self, stop: threading.Event, drain: bool = False) -> IngestSummary:
        """Work until `stop` is set (or, with `drain`, until a receive finds the queue empty)."""
        total = IngestSummary(store=self.store.url)
        started = time.perf_counter()
        failures = 0
        with _Heartbeat(self.sqs, self.queue_url, self.visibility_timeout) as heartbeat:
            while not stop.is_set():
                try:
                    messages = self._receive()
                    failures = 0
                except (BotoCoreError, ClientError) as error:  # an outage: wait and try again, loudly
                    failures += 1
                    log.error("%s: receive failed (%s); retrying in %ss", self.queue_url, error, min(60, 2 ** failures))
                    stop.wait(min(60, 2 ** failures))
                    continue
                if not messages:
                    if drain:
                        break
                    continue
                outcome = self._handle(messages, heartbeat, stop)
                add_summary(total, outcome.summary)
                if self.on_batch:
                    self.on_batch(outcome)
        total.seconds = time.perf_counter() - started
        return total

    def _queue_attributes(self) -> dict[str, str]:
        try:
            attributes: dict[str, str] = self.sqs.get_queue_attributes(QueueUrl=self.queue_url,
                                                                       AttributeNames=["All"])["Attributes"]
            return attributes
        except NoCredentialsError as error:
            raise SourceError("no AWS credentials found: set AWS_PROFILE (or --profile), or "
                              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from error
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise SourceError(f"{self.queue_url}: can't use the queue ({code}): check the URL and that the "
                              "credentials allow sqs:ReceiveMessage, DeleteMessage, ChangeMessageVisibility "
                              "and GetQueueAttributes") from error
        except BotoCoreError as error:
            raise SourceError(f"{self.queue_url}: can't reach the queue: {error}") from error

    def _receive(self) -> list[dict[str, Any]]:
        """Up to `batch_messages`: one long poll, then receives that don't wait while the queue has more."""
        messages: list[dict[str, Any]] = []
        wait = self.wait_seconds
        while len(messages) < self.batch_messages:
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(RECEIVE_LIMIT, self.batch_messages - len(messages)),
                WaitTimeSeconds=wait, VisibilityTimeout=self.visibility_timeout,
                MessageSystemAttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
            messages += received
            if len(received) < RECEIVE_LIMIT:
                break
            wait = 0
        return messages

    def _handle(self, messages: list[dict[str, Any]], heartbeat: "_Heartbeat", stop: threading.Event) -> BatchOutcome:
        outcome = BatchOutcome(IngestSummary(store=self.store.url))
        wanted: dict[str, list[S3Location]] = {}  # message id → the objects it needs read
        acknowledged: list[dict[str, Any]] = []
        by_id = {message["MessageId"]: message for message in messages}
        for message in messages:
            notification = parse_notification(message["Body"])
            if notification.action is Action.LEAVE:
                self._leave(message, notification, outcome)
            elif notification.action is Action.ACKNOWLEDGE:
                log.info("%s: acknowledged %s: %s", message["MessageId"], notification.form, notification.reason)
                acknowledged.append(message)
            else:
                wanted[message["MessageId"]] = self._to_read(notification, outcome.summary)
        heartbeat.hold([by_id[message_id] for message_id in wanted])
        try:
            locations = self._with_etags({loc.uri: loc for locs in wanted.values() for loc in locs})
            done = self._read(locations, outcome, stop)
        finally:
            heartbeat.release(list(wanted))
        finished = [message_id for message_id, locs in wanted.items()
                    if all(loc.uri in locations and done.get(loc.uri) == locations[loc.uri].etag for loc in locs)]
        unfinished = [by_id[message_id] for message_id in wanted if message_id not in finished]
        outcome.messages.update(ingested=len(finished), acknowledged=len(acknowledged), unfinished=len(unfinished))
        if unfinished:
            self._unfinished(unfinished, stop.is_set())
        self._delete([by_id[message_id] for message_id in finished] + acknowledged)
        return outcome

    def _to_read(self, notification: Notification, summary: IngestSummary) -> list[S3Location]:
        """The objects of a notification worth reading; digests and objects outside the filters are counted."""
        kept = []
        for location in notification.objects:
            if is_digest_name(location.key):
                summary.skipped_reasons["digest"] += 1
            elif self.keys.active and not self.keys.keeps_key(location.key):
                summary.skipped_reasons["not-in-filter"] += 1
            else:
                kept.append(location)
                continue
            summary.skipped += 1
        return kept

    def _with_etags(self, locations: dict[str, S3Location]) -> dict[str, S3Location]:
        """Every location with its ETag (a HEAD when the message had none); one that can't be found is dropped."""
        complete = {}
        for uri, location in locations.items():
            if location.etag is None:
                try:
                    head = self.s3.head_object(Bucket=location.bucket, Key=location.key)
                except (BotoCoreError, ClientError) as error:
                    log.warning("%s: can't read it (%s): its message stays in the queue", uri, error)
                    continue
                location = S3Location(location.bucket, location.key, head["ETag"].strip('"'),
                                      head["ContentLength"], head["LastModified"].replace(tzinfo=None))
            complete[uri] = location
        return complete

    def _read(self, locations: dict[str, S3Location], outcome: BatchOutcome,
              stop: threading.Event) -> dict[str, str]:
        """Ingest the objects not yet ledgered; the ledger's ETag of every location afterwards."""
        if not locations:
            return {}
        done = self.store.ledgered(list(locations))
        pending = [loc for uri, loc in locations.items() if done.get(uri) != loc.etag]
        if len(pending) < len(locations):
            outcome.summary.skipped += len(locations) - len(pending)
            outcome.summary.skipped_reasons["already-ingested"] += len(locations) - len(pending)
        if not pending:
            return done
        with ThreadPoolExecutor(max_workers=DOWNLOAD_THREADS, thread_name_prefix="sqs-download") as pool:
            objects = list(_prefetched(pending, self.s3, pool))
            part = ingest(objects, self.store, batch_events=self.batch_events, should_stop=stop.is_set,
                          rules=self.rules, alerter=self.alerter)
            pool.shutdown(wait=True, cancel_futures=True)
        add_summary(outcome.summary, part)
        for location in pending:
            outcome.newest_delivery = later(outcome.newest_delivery,
                                            location.created or delivery_time_of(location.key))
        return self.store.ledgered(list(locations))

    def _leave(self, message: dict[str, Any], notification: Notification, outcome: BatchOutcome) -> None:
        receives = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
        log.warning("%s: not understood, left for the dead-letter queue (receive %s): %s; body starts %r",
                    message["MessageId"], receives, notification.reason, message["Body"][:200])
        outcome.messages["left"] = outcome.messages.get("left", 0) + 1

    def _unfinished(self, messages: list[dict[str, Any]], stopping: bool) -> None:
        """Messages whose objects are not all stored stay in the queue. When stopping, make them
        visible now for another worker; otherwise (unreadable objects) they reappear after the timeout."""
        log.warning("%d message(s) not finished (%s): left in the queue", len(messages),
                    "stopping" if stopping else "some objects unreadable, see `tattletrail quarantine`")
        if stopping:
            self._batch_call("change_message_visibility_batch", messages, VisibilityTimeout=0)

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        self._batch_call("delete_message_batch", messages)

    def _batch_call(self, operation: str, messages: list[dict[str, Any]], **extra: Any) -> None:
        for start in range(0, len(messages), RECEIVE_LIMIT):
            entries = [{"Id": str(number), "ReceiptHandle": message["ReceiptHandle"], **extra}
                       for number, message in enumerate(messages[start:start + RECEIVE_LIMIT])]
            try:
                failed = getattr(self.sqs, operation)(QueueUrl=self.queue_url, Entries=entries).get("Failed", [])
            except (BotoCoreError, ClientError) as error:
                failed = [{"Id": "all", "Message": str(error)}]
            for failure in failed:  # the message comes back; the ledger makes that cheap
                log.warning("%s: %s failed for entry %s: %s", self.queue_url, operation, failure.get("Id"),
                            failure.get("Message"))


def _prefetched(locations: list[S3Location], s3: Any, pool: ThreadPoolExecutor) -> Iterator[LogObject]:
    """Log objects whose bodies are already downloading, a few at a time, in order."""
    futures: dict[str, Future[bytes]] = {loc.uri: pool.submit(download, s3, loc.bucket, loc.key)
                                         for loc in locations}

    def fetched(uri: str) -> Any:
        return io.BytesIO(futures.pop(uri).result())

    for location in locations:
        yield LogObject(location.uri, location.etag or "", location.size, partial(fetched, location.uri))


class _Heartbeat:
    """Keeps the messages being worked on invisible: every third of the visibility timeout, extends it."""

    def __init__(self, sqs: Any, queue_url: str, visibility_timeout: int) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._timeout = visibility_timeout
        self._held: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="sqs-heartbeat", daemon=True)

    def hold(self, messages: list[dict[str, Any]]) -> None:
        with self._lock:
            self._held.update({message["MessageId"]: message for message in messages})

    def release(self, message_ids: list[str]) -> None:
        with self._lock:
            for message_id in message_ids:
                self._held.pop(message_id, None)

    def _beat(self) -> None:
        while not self._done.wait(max(1.0, self._timeout / 3)):
            with self._lock:
                held = list(self._held.values())
            for start in range(0, len(held), RECEIVE_LIMIT):
                entries = [{"Id": str(number), "ReceiptHandle": message["ReceiptHandle"],
                            "VisibilityTimeout": self._timeout}
                           for number, message in enumerate(held[start:start + RECEIVE_LIMIT])]
                try:
                    self._sqs.change_message_visibility_batch(QueueUrl=self._queue_url, Entries=entries)
                except (BotoCoreError, ClientError) as error:
                    log.warning("%s: could not extend visibility (%s): another worker may read the same "
                                "objects; the store keeps each event once", self._queue_url, error)

    def __enter__(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()
