"""The project's exception vocabulary.

The branch an error sits on decides what happens to the message that
caused it, so callers catch by branch, not by leaf::

    NewsstreamError
    ├── ConfigError          a setting is missing or malformed (fail at start)
    ├── RetryableError       the world may heal: retry with backoff
    │   └── ServiceUnavailable   Kafka, Elasticsearch or a webhook is down/slow
    └── PermanentError       retrying cannot help: park on the dead-letter topic
        ├── InvalidMessage       bytes that do not decode to a known record
        │   └── UnsupportedSchema    a record of a schema version this code cannot read
        ├── FeedError            a feed that cannot be fetched or parsed
        ├── RejectedDocument     Elasticsearch refused the document
        └── RefusedRequest       a server refused the whole request (4xx but 429)
"""

from __future__ import annotations


class NewsstreamError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(NewsstreamError):
    """A setting is wrong; the message names the variable."""


class RetryableError(NewsstreamError):
    """A transient failure: the same call may succeed later."""


class ServiceUnavailable(RetryableError):
    """A server we depend on did not answer in time or refused us."""


class PermanentError(NewsstreamError):
    """Retrying cannot help; the item goes to the dead-letter topic."""


class InvalidMessage(PermanentError):
    """A Kafka message that is not a valid record of the expected kind."""


class UnsupportedSchema(InvalidMessage):
    """A record of a newer (or unknown) schema version: replay it after upgrading."""


class FeedError(PermanentError):
    """A feed fetch or parse failure, with the kind used in metrics."""

    def __init__(self, message: str, *, kind: str = "error", retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


class RejectedDocument(PermanentError):
    """Elasticsearch refused a document (mapping conflict, bad value...)."""


class RefusedRequest(PermanentError):
    """A server refused a whole request (a 4xx other than 429): the same request
    will be refused again; a batch is split until the refused part stands alone
    (a 413 too large batch splits; a bad document ends parked)."""

    def __init__(self, message: str, *, status: int = 0):
        super().__init__(message)
        self.status = status
