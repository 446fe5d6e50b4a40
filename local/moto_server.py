"""moto's server with DynamoDB made safe for concurrent writers: the local endpoint of `make run` and the tests.

moto runs TransactWriteItems by deep-copying every table the transaction touches and, when any condition fails,
putting those copies back. Another request that wrote to the same tables in between (an answer saved while a
duplicate browser event cancels its transaction) is silently undone: data loss that DynamoDB itself never causes.
One lock around every DynamoDB backend operation makes each of them atomic with respect to the others, which is
what DynamoDB guarantees. The cost is nothing a single-process, GIL-bound server was not already paying.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.server import main

OPERATIONS = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
)
_LOCK = threading.RLock()


def serialised(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return operation(*args, **kwargs)

    return locked


def make_dynamodb_atomic() -> None:
    for name in OPERATIONS:
        setattr(DynamoDBBackend, name, serialised(getattr(DynamoDBBackend, name)))


if __name__ == "__main__":
    make_dynamodb_atomic()
    sys.exit(main(sys.argv[1:]))
