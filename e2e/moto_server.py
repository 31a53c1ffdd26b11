"""moto's server for the end-to-end test, with one pure helper memoized.

    moto_server.py [moto_server's arguments]

Most of moto's CPU time in the test goes to camelcase_to_underscores: every
send to and receive from an SQS queue rebuilds the queue's attribute map,
converting some twenty attribute names character by character, several times
per message. The conversion depends only on its argument, so its results are
kept; moto's behaviour is otherwise untouched. Without the function (a moto
that no longer has it), the server runs unchanged.

Run it with the Python of the virtualenv that holds moto.
"""

import functools
import sys

import moto.core.utils


def memoize_camelcase():
    original = getattr(moto.core.utils, "camelcase_to_underscores", None)
    if original is None:
        return
    cached = functools.lru_cache(maxsize=4096)(original)

    @functools.wraps(original)
    def camelcase_to_underscores(argument):
        if isinstance(argument, str):
            return cached(argument)
        return original(argument)

    # Modules that imported the function by name hold the original: replace
    # it there too. Services imported later (moto loads them on first use)
    # import the memoized one.
    for module in list(sys.modules.values()):
        if getattr(module, "camelcase_to_underscores", None) is original:
            module.camelcase_to_underscores = camelcase_to_underscores


memoize_camelcase()

from moto.server import main  # noqa: E402  (after the patch, by design)

if __name__ == "__main__":
    sys.exit(main())
