"""Where new alerts go: small plugins sharing one ``deliver(alert)`` interface.

* :class:`LogSink` writes one line per alert to the worker's log;
* :class:`WebhookSink` POSTs JSON (or a Slack-compatible message).

A sink signals failure with an exception that says whether a retry can
help: :class:`DeliveryFailed` (retryable: timeouts, 5xx, 429) or
:class:`DeliveryRejected` (permanent: the receiver refused the request).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import httpx

from contract.errors import PermanentError, ServiceUnavailable
from contract.records import Alert
from contract.redact import redact_url, redact_urls, scrub

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
DEFAULT_WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Connections open to one receiver at a time. A burst of alerts would otherwise
# open one connection each at the same instant; a small receiver's listen
# queue (five on Python's http.server) drops the excess, and each dropped
# connection costs the kernel's one-second SYN retry.
CONNECTIONS_PER_RECEIVER = 4


class DeliveryFailed(ServiceUnavailable):
    """The receiver did not take the alert now; it may later."""


class DeliveryRejected(PermanentError):
    """The receiver refused the alert; sending it again will not help."""


class Sink(Protocol):
    name: str

    async def deliver(self, alert: Alert) -> None: ...


class LogSink:
    """One log line per alert: what a person tailing the worker wants to see."""

    name = "log"

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.log = logger or logging.getLogger("newsstream.alerts")

    async def deliver(self, alert: Alert) -> None:
        self.log.info(
            "ALERT %s (%s) in %r [%s, %s] %s latency=%dms: %s; %s",
            alert.actor_name,
            alert.actor_id,
            alert.title,
            alert.source,
            alert.language,
            alert.url,
            alert.latency_ms,
            alert.snippet,
            why(alert),
        )


def why(alert: Alert) -> str:
    """Why an alert fired, in one line: the alias, the rules, the entity seen there."""
    line = f"matched {alert.matched_text!r}"
    if alert.alias:
        line += f" as {alert.alias!r}"
    if alert.rule:
        line += f" ({alert.rule})"
    if alert.entity:
        line += f"; recognised as {alert.entity}"
    return line


def slack_payload(alert: Alert) -> dict[str, Any]:
    """A message Slack (and Mattermost, Rocket.Chat...) incoming webhooks accept."""
    link = f"<{alert.url}|{alert.title}>" if alert.url else alert.title
    text = f"*{alert.actor_name}* mentioned in {link} ({alert.source}, {alert.language})"
    return {
        "text": f"{text}\n> {alert.snippet}\n{why(alert)}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": alert.snippet or " "}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": why(alert)}]},
        ],
    }


class WebhookSink:
    """POST each alert to one URL; the alert id doubles as an idempotency key.

    The URL is the receiver's credential: ``name`` and every error show only
    its scheme and host (:func:`contract.redact.redact_url`).
    """

    def __init__(
        self,
        url: str,
        *,
        fmt: str = "json",
        client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout = DEFAULT_WEBHOOK_TIMEOUT,
        user_agent: str = "newsstream",
    ) -> None:
        self.url = url
        self.fmt = fmt
        self.shown = redact_url(url)
        self.name = f"webhook {self.shown}"
        self.client = client or httpx.AsyncClient(
            timeout=timeout,
            headers={"User-Agent": user_agent},
            follow_redirects=False,
            limits=httpx.Limits(max_connections=CONNECTIONS_PER_RECEIVER),
        )

    def payload(self, alert: Alert) -> dict[str, Any]:
        return slack_payload(alert) if self.fmt == "slack" else alert.to_dict()

    async def deliver(self, alert: Alert) -> None:
        try:
            response = await self.client.post(
                self.url, json=self.payload(alert), headers={"Idempotency-Key": alert.id}
            )
        except httpx.TransportError as exc:  # connect, read, timeouts
            raise DeliveryFailed(
                f"{self.shown}: {type(exc).__name__}: {self._clean(exc)}"
            ) from None
        if response.is_success:
            return
        body = self._clean(response.text[:200])
        detail = f"{self.shown} answered {response.status_code}: {body!r}"
        if response.status_code in RETRYABLE_STATUS:
            raise DeliveryFailed(detail)
        raise DeliveryRejected(detail)

    def _clean(self, text: object) -> str:
        """A receiver's or the client's words, without the URL (it may echo it)."""
        return redact_urls(scrub(str(text), [self.url]))

    async def close(self) -> None:
        await self.client.aclose()


def webhook_sinks(urls: list[str], fmt: str, user_agent: str) -> list[WebhookSink]:
    return [WebhookSink(u, fmt=fmt, user_agent=user_agent) for u in urls]
