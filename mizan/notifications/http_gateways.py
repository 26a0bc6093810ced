"""HTTP SMS gateways: a generic aggregator's JSON API, and Kannel's `sendsms` interface.

Both follow the contract of `mizan.notifications.gateways`. What decides between the
three errors is whether the request can have reached the provider:

- nothing left this machine (refused connection, DNS failure, connect timeout, TLS
  handshake failure, a URL we cannot even build): `TemporaryGatewayError`;
- the provider answered that it did not take the message (429, 5xx, 401/403): also
  `TemporaryGatewayError`, except a refused number, which is `PermanentGatewayError`;
- the request was sent and no usable answer came back (read timeout, connection reset,
  a 2xx we cannot read, a 504 from a proxy that gave up waiting on the provider):
  `UncertainGatewayError`.

These classes read no Django settings: the router builds them from
`MIZAN_SMS_GATEWAYS` and passes the options in, so tests and benchmarks can build them
directly.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import logging
import re
import socket
from datetime import UTC, datetime

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError

from .encoding import sms_encoding
from .gateways import (
    Accepted,
    GatewayError,
    OutboundSms,
    PermanentGatewayError,
    TemporaryGatewayError,
    UncertainGatewayError,
)

logger = logging.getLogger("mizan.sms")

DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_RETRY_AFTER = 1.0

# The JSON API's 400 error codes that no retry can fix.
REFUSED_NUMBER_ERRORS = frozenset({"invalid_number", "blocked_number"})

# Kannel refuses a number with one of these answers (smsbox.c); any other 4xx is our
# configuration (credentials, sender, parameters), which an operator can fix.
KANNEL_REFUSED_NUMBER_ANSWERS = (
    "not routable",
    "denied by white- and/or black-lists",
    "invalid receiver",
    "receiver number",
)
KANNEL_ACCEPTED_ANSWERS = ("0:", "3:", "sent.")

# Kannel DLR types (the %d of a dlr-url): 1 delivered to the phone, 2 not delivered to
# the phone, 4 queued on the SMSC, 8 delivered to the SMSC, 16 rejected by the SMSC.
KANNEL_DLR_STATUSES: dict[int, str | None] = {
    1: "delivered",
    2: "permanent-failure",
    # Intermediate: the message is already "sent" from the moment Kannel accepted it.
    4: None,
    8: None,
    16: "permanent-failure",
}

# Kannel substitutes %-escapes inside the dlr-url, so a reference that needs
# percent-encoding could be mangled (%C, %A, %B... are escapes). Ours never do.
_URL_SAFE_REFERENCE = re.compile(r"[A-Za-z0-9._~-]+")


def kannel_dlr_status(dlr_type: int) -> str | None:
    """Notification status for a Kannel DLR type, or None when the report changes nothing."""
    return KANNEL_DLR_STATUSES.get(dlr_type)


def _timeouts(options: dict) -> tuple[float, float]:
    return (
        float(options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT)),
        float(options.get("read_timeout", DEFAULT_READ_TIMEOUT)),
    )


def _required(name: str, options: dict, key: str) -> str:
    value = options.get(key)
    if not value:
        raise ValueError(f"SMS gateway {name!r}: option {key!r} is required")
    return str(value)


def _session(options: dict) -> requests.Session:
    session = requests.Session()
    # Environment proxies and ~/.netrc would silently change where messages go and could
    # replace our Authorization header; a proxy must be configured explicitly.
    session.trust_env = False
    if options.get("proxy"):
        session.proxies = {"http": options["proxy"], "https": options["proxy"]}
    # Sessions are shared by the worker's threads: refusing cookies leaves the connection
    # pool as the only shared state that changes, and urllib3's pool is thread-safe.
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    # Never retry inside requests: a silent second POST after a lost answer is exactly
    # the duplicate the caller must decide about.
    adapter = HTTPAdapter(pool_maxsize=int(options.get("pool_size", 10)), max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "mizan-sms/1"
    return session


def _never_connected(exc: BaseException) -> bool:
    """True when the error chain shows the connection was never established."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        error = stack.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        # urllib3's NewConnectionError and NameResolutionError are ConnectTimeoutErrors.
        if isinstance(error, ConnectTimeoutError | ConnectionRefusedError | socket.gaierror):
            return True
        stack.append(getattr(error, "reason", None))
        stack.append(error.__cause__)
        stack.append(error.__context__)
        stack.extend(arg for arg in error.args if isinstance(arg, BaseException))
    return False


def _transport_error(name: str, exc: requests.RequestException) -> GatewayError:
    """Classify a failure to get an answer. Reasons never quote the exception: its text
    carries the URL, and Kannel's URL carries the password."""
    kind = type(exc).__name__
    if isinstance(exc, requests.ConnectTimeout):
        return TemporaryGatewayError("connect timeout", name, "connect-timeout")
    if isinstance(exc, requests.ReadTimeout):
        return UncertainGatewayError("no answer within the read timeout", name, "read-timeout")
    if isinstance(exc, requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return TemporaryGatewayError(f"could not connect ({kind})", name, "connect-failed")
    if isinstance(exc, requests.ConnectionError):
        if _never_connected(exc):
            return TemporaryGatewayError("could not connect", name, "connect-failed")
        return UncertainGatewayError(
            f"connection lost before the answer ({kind})", name, "connection-lost"
        )
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return UncertainGatewayError(f"unreadable answer ({kind})", name, "bad-answer")
    # Invalid URL, missing schema, bad header: raised before anything is sent.
    logger.error("SMS gateway %s is misconfigured: %s", name, kind)
    return TemporaryGatewayError(f"request could not be built ({kind})", name, "misconfigured")


def _retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _snippet(response: requests.Response) -> str:
    return response.content[:200].decode("utf-8", "replace").strip()


class JsonHttpGateway:
    """A generic SMS aggregator's JSON API (one POST per message, receipts by callback).

    options: url, token, connect_timeout (3), read_timeout (10), callback_url (where the
    provider posts receipts; omitted from the request when not set), pool_size (10),
    proxy (none; environment proxies are ignored).
    """

    deduplicates = True

    def __init__(self, name: str, options: dict) -> None:
        self.name = name
        self.options = options
        self.url = _required(name, options, "url")
        self.callback_url = options.get("callback_url") or None
        self.timeout = _timeouts(options)
        self._session = _session(options)
        self._session.headers["Authorization"] = f"Bearer {_required(name, options, 'token')}"

    def close(self) -> None:
        self._session.close()

    def send_sms(self, sms: OutboundSms) -> Accepted:
        payload = {
            "to": sms.recipient,
            "from": sms.sender,
            "text": sms.body,
            "client_reference": sms.client_reference,
        }
        if self.callback_url:
            payload["callback_url"] = self.callback_url
        try:
            response = self._session.post(
                self.url, json=payload, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise _transport_error(self.name, exc) from exc
        return self._answer(sms, response)

    def _answer(self, sms: OutboundSms, response: requests.Response) -> Accepted:
        status = response.status_code
        if 200 <= status < 300:
            message_id = self._field(response, "id")
            if message_id is None or message_id == "":
                # It says it took the message but we cannot tell which: only a retry with
                # the same client_reference (deduplicated) gets the id back safely.
                raise UncertainGatewayError("accepted without a message id", self.name, str(status))
            return Accepted(self.name, (str(message_id),))
        if status == 429:
            raise TemporaryGatewayError(
                "throttled", self.name, "429", retry_after=_retry_after(response)
            )
        if status == 400:
            error = self._field(response, "error")
            if error in REFUSED_NUMBER_ERRORS:
                raise PermanentGatewayError(f"number refused: {error}", self.name, error)
        if status == 504:
            # A proxy gave up waiting for the provider, which may have taken the message.
            raise UncertainGatewayError("gateway timeout", self.name, "504")
        if 500 <= status < 600:
            raise TemporaryGatewayError(f"provider error {status}", self.name, str(status))
        # 401/403, an unknown 400, a redirect: our configuration is wrong. Retrying later
        # is right (the message is fine), but only an operator can make it succeed.
        logger.error(
            "SMS gateway %s refused the request (HTTP %s) for %s: %s",
            self.name,
            status,
            sms.client_reference,
            _snippet(response),
        )
        error = self._field(response, "error") if status == 400 else None
        raise TemporaryGatewayError(
            f"request refused (HTTP {status})", self.name, str(error or status)
        )

    @staticmethod
    def _field(response: requests.Response, key: str):
        try:
            data = response.json()
        except ValueError:
            return None
        return data.get(key) if isinstance(data, dict) else None


class KannelGateway:
    """Kannel's HTTP `sendsms` interface (smsbox).

    options: url ("http://host:13013/cgi-bin/sendsms"), username, password, dlr_url
    (optional receipt URL template: "{client_reference}" is filled in here, Kannel fills
    in %d with the DLR type and %A with the SMSC's answer), dlr_mask (31), smsc (optional
    route), connect_timeout (3), read_timeout (10), pool_size (10), proxy (none).

    Kannel's answer carries no message id, so the message id is our client_reference,
    which the dlr-url brings back with each receipt. Kannel does not deduplicate.
    """

    deduplicates = False

    def __init__(self, name: str, options: dict) -> None:
        self.name = name
        self.options = options
        self.url = _required(name, options, "url")
        self.username = _required(name, options, "username")
        self.password = _required(name, options, "password")
        self.dlr_url = options.get("dlr_url") or None
        self.dlr_mask = int(options.get("dlr_mask", 31))
        self.smsc = options.get("smsc") or None
        self.timeout = _timeouts(options)
        self._session = _session(options)

    def close(self) -> None:
        self._session.close()

    def send_sms(self, sms: OutboundSms) -> Accepted:
        params = {
            "username": self.username,
            "password": self.password,
            "from": sms.sender,
            "to": sms.recipient,
            "text": sms.body,
            # The query string is UTF-8; with coding=2 Kannel converts it to UCS-2.
            "charset": "UTF-8",
        }
        if sms_encoding(sms.body) == "ucs2":
            params["coding"] = "2"
        if self.smsc:
            params["smsc"] = self.smsc
        if self.dlr_url:
            if not _URL_SAFE_REFERENCE.fullmatch(sms.client_reference):
                logger.error(
                    "SMS gateway %s: client_reference %r cannot go in a dlr-url",
                    self.name,
                    sms.client_reference,
                )
                raise PermanentGatewayError(
                    "client_reference is not URL-safe", self.name, "bad-reference"
                )
            params["dlr-mask"] = str(self.dlr_mask)
            params["dlr-url"] = self.dlr_url.replace("{client_reference}", sms.client_reference)
        try:
            response = self._session.get(
                self.url, params=params, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise _transport_error(self.name, exc) from exc
        return self._answer(sms, response)

    def _answer(self, sms: OutboundSms, response: requests.Response) -> Accepted:
        status = response.status_code
        answer = _snippet(response)
        lowered = answer.lower()
        provider_status = f"{status} {answer[:80]}".strip()
        if 200 <= status < 300:
            if lowered.startswith(KANNEL_ACCEPTED_ANSWERS):
                return Accepted(self.name, (sms.client_reference,))
            raise UncertainGatewayError("unexpected answer", self.name, provider_status)
        if status == 429:
            raise TemporaryGatewayError(
                "throttled", self.name, provider_status, retry_after=_retry_after(response)
            )
        if 400 <= status < 500:
            if any(marker in lowered for marker in KANNEL_REFUSED_NUMBER_ANSWERS):
                raise PermanentGatewayError("number refused", self.name, provider_status)
            # "Authorization failed for sendsms", "Sender missing": ours to fix.
            logger.error(
                "SMS gateway %s refused the request (HTTP %s) for %s: %s",
                self.name,
                status,
                sms.client_reference,
                answer,
            )
            raise TemporaryGatewayError(
                f"request refused (HTTP {status})", self.name, provider_status
            )
        if status == 504:
            raise UncertainGatewayError("gateway timeout", self.name, provider_status)
        if 500 <= status < 600:
            raise TemporaryGatewayError(f"Kannel error {status}", self.name, provider_status)
        logger.error("SMS gateway %s answered HTTP %s: %s", self.name, status, answer)
        raise TemporaryGatewayError(f"unexpected HTTP {status}", self.name, provider_status)
