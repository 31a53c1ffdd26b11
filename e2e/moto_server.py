"""moto's server for the end-to-end test, with four of its helpers made cheaper.

    moto_server.py [moto_server's arguments]

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

One change is to behaviour, to match DynamoDB's: moto's server handles
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

replace(moto.core.utils, "camelcase_to_underscores", cached)
replace(moto.core.utils, "utcfromtimestamp", cached)
replace(moto.backends, "list_of_moto_modules", listed_once)
replace(moto.core.utils, "unix_time", from_clock)

from moto.server import main  # noqa: E402  (after the replacements, by design)

if __name__ == "__main__":
    sys.exit(main())
