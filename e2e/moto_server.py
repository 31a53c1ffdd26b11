"""moto's server for the end-to-end test, with four of its helpers made cheaper.

    moto_server.py [moto_server's arguments]
    moto_server.py --check-fifo-order   (checks the SQS change below)

Most of moto's CPU time in the test went to helpers whose result depends on
nothing but their argument, or on nothing that changes while the server runs,
so each result is computed once:

- camelcase_to_underscores: every send to and receive from an SQS queue
  rebuilds the queue's attribute map, converting some twenty attribute names
  character by character, several times per message.
- utcfromtimestamp: the same attribute map counts the queue's visible and
  delayed messages, and every message's check converts the epoch (timestamp
  0) to a datetime again.
- list_of_moto_modules: to route each request to a service, the server lists
  moto's package directory and stats every entry in it (some 200 system
  calls), under a lock that every request takes. The directory does not
  change while the server runs.
- unix_time: the same counts read the clock once per message and attribute,
  millions of times in a run, through a datetime built, made naive and
  subtracted from the epoch (about 4 us a call). Without an argument it now
  computes the same value from the same clock reading (datetime.now floors
  the system clock to whole microseconds, as time_ns() // 1000 does) without
  the datetimes.

Two changes are to behaviour. The first matches DynamoDB's: moto's server handles
requests on threads, and its DynamoDB checks an item's condition and then
writes it without a lock, so two conditional PutItems of one new item can
both succeed. In DynamoDB each write is atomic and conditions are checked
against the item's latest version ("Individual write operations such as
UpdateItem are atomic and always operate on the most recent version of the
item, regardless of concurrency",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_ImplementingVersionControl.html),
and a transaction is isolated from other writes and from GetItem
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation).
The consumer's claim relies on that, so the item operations of moto's
DynamoDB backend run one at a time per region here.

A second is to SQS's, for FIFO order. Messages of a group "are then
received and processed in the exact order they were transmitted", and one
made visible again (ChangeMessageVisibility to 0) can be received again
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html).
moto takes a message out of the queue's in-flight set only if the clock
has already moved past the end of its visibility timeout when it changes
it, so at the same clock reading a message made visible again stays in
that set; the next ReceiveMessage then takes such messages out one by one,
judging the group still in flight by the ones after it, skips the group's
first messages and returns its last first. The test makes failed batches
visible again that way after every fault, so now and then an account's
executions came out of the ingest queue out of order. Here a message is
visible from the instant its timeout ends, and a receive takes every
message visible again out of the in-flight set before it judges any group
(moto_server.py --check-fifo-order shows both, on a clock that ticks once
a millisecond).

moto's behaviour is otherwise untouched: the replacements return what the
originals return. A moto without one of the helpers runs without that
change.

Run it with the Python of the virtualenv that holds moto.
"""

import functools
import sys
import threading
import time

import moto.backends
import moto.core.utils


def replace(module, name, make):
    """Replaces module.name with make(original), also where it was imported
    by name. Services imported later (moto loads them on first use) import
    the replacement."""
    original = getattr(module, name, None)
    if original is None:
        return
    replacement = functools.wraps(original)(make(original))
    for m in list(sys.modules.values()):
        if getattr(m, name, None) is original:
            setattr(m, name, replacement)


def cached(original):
    """original(argument), computed once per argument (a str or a number)."""
    cache = functools.lru_cache(maxsize=4096)(original)

    def memoized(argument):
        if isinstance(argument, (str, int, float)):
            return cache(argument)
        return original(argument)

    return memoized


def listed_once(original):
    """original()'s items, listed once."""
    items = tuple(original())
    return lambda: items


def from_clock(original):
    """original(), the current time in seconds since the epoch, computed as
    original computes it but from time_ns() instead of datetime objects."""

    def unix_time(dt=None):
        if dt is not None:
            return original(dt)
        seconds, micro = divmod(time.time_ns() // 1000, 1_000_000)
        days, seconds = divmod(seconds, 86400)
        return (days * 86400) + (seconds + (micro / 1e6))

    return unix_time


def serialized(cls, names):
    """Runs cls's methods of these names one at a time per instance (one
    backend per account and region: a transaction spans one region), under
    the instance's lock."""
    for name in names:
        original = getattr(cls, name, None)
        if original is None:
            continue

        def locked(self, *args, _original=original, **kwargs):
            # dict.setdefault is atomic: every thread gets the same lock.
            with self.__dict__.setdefault("_item_lock", threading.RLock()):
                return _original(self, *args, **kwargs)

        setattr(cls, name, functools.wraps(original)(locked))


try:
    from moto.dynamodb.models import DynamoDBBackend
except ImportError:  # a moto without DynamoDB
    DynamoDBBackend = None
if DynamoDBBackend is not None:
    serialized(DynamoDBBackend, ("put_item", "update_item", "delete_item", "transact_write_items", "get_item"))

try:
    import moto.sqs.models as sqs_models
except ImportError:  # a moto without SQS
    sqs_models = None
if sqs_models is not None:
    sqs_models.Message.visible = property(lambda self: sqs_models.unix_time_millis() >= self.visible_at)
    receive = sqs_models.SQSBackend.receive_message

    @functools.wraps(receive)
    def receive_message(self, queue_name, *args, _receive=receive, **kwargs):
        queue = self.get_queue(queue_name)
        for message in list(queue.pending_messages):
            if message.visible:
                queue.pending_messages.discard(message)
        return _receive(self, queue_name, *args, **kwargs)

    sqs_models.SQSBackend.receive_message = receive_message

replace(moto.core.utils, "camelcase_to_underscores", cached)
replace(moto.core.utils, "utcfromtimestamp", cached)
replace(moto.backends, "list_of_moto_modules", listed_once)
replace(moto.core.utils, "unix_time", from_clock)

from moto.server import main  # noqa: E402  (after the replacements, by design)


def check_fifo_order(rounds=50):
    """Fails unless a FIFO group made visible again (ChangeMessageVisibility
    to 0) comes back in order, on a clock that ticks once a millisecond, as
    moto's own reading of it did in the same millisecond: the case the SQS
    change above fixes. Returns a message, or "" when every round kept the
    order."""
    import boto3
    from moto import mock_aws

    if sqs_models is None:
        return "moto has no SQS"
    precise = sqs_models.unix_time_millis
    sqs_models.unix_time_millis = lambda dt=None: float(time.time_ns() // 1_000_000) if dt is None else precise(dt)
    try:
        with mock_aws():
            sqs = boto3.client("sqs", region_name="eu-west-2", aws_access_key_id="test", aws_secret_access_key="test")
            url = sqs.create_queue(QueueName="order.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "60"})["QueueUrl"]
            for r in range(rounds):
                for i in range(3):
                    sqs.send_message(QueueUrl=url, MessageBody=str(i), MessageGroupId="account", MessageDeduplicationId=f"{r}-{i}")
                for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]:
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
                order = []
                while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                    for m in got:
                        order.append(m["Body"])
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                if order != ["0", "1", "2"]:
                    return f"round {r}: a group made visible again came back as {order}, want ['0', '1', '2']"
    finally:
        sqs_models.unix_time_millis = precise
    return ""


if __name__ == "__main__":
    if sys.argv[1:] == ["--check-fifo-order"]:
        problem = check_fifo_order()
        print(problem or "moto_server.py: FIFO groups made visible again come back in order")
        sys.exit(1 if problem else 0)
    sys.exit(main())
