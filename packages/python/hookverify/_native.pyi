"""Type stubs of the native module (hand-written; checked with ``python -m mypy.stubtest``)."""

from typing import Any, Callable, Dict, Final, List, Literal, Mapping, Optional, Sequence, Tuple, Union, final

_Body = Union[bytes, bytearray, memoryview, str]
_HeaderText = Union[str, bytes]
_Headers = Union[Mapping[str, _HeaderText], Mapping[bytes, _HeaderText], Sequence[Tuple[_HeaderText, _HeaderText]]]
_Scheme = Union[str, Mapping[str, Any]]

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_REDIS_PREFIX",
    "DEFAULT_REDIS_TIMEOUT",
    "DETACH_ABOVE_BYTES",
    "Delivery",
    "ERROR_CODES",
    "Event",
    "HINT_CODES",
    "Inbox",
    "PendingClaim",
    "Pipeline",
    "Store",
    "SCHEMES",
    "Verified",
    "Verifier",
    "__version__",
    "diagnose",
    "log_safe",
    "overloaded_decision",
    "select_routes",
    "sign",
    "type_matches",
]

__version__: Final[str]
ERROR_CODES: Final[Tuple[str, ...]]
HINT_CODES: Final[Tuple[str, ...]]
SCHEMES: Final[Tuple[str, ...]]
DEFAULT_MAX_BODY_BYTES: Final[int]
DEFAULT_CAPACITY: Final[int]
DEFAULT_REDIS_PREFIX: Final[str]
DEFAULT_REDIS_TIMEOUT: Final[float]
#: Bodies above this many bytes are hashed without the GIL (``begin_async`` then uses a thread).
DETACH_ABOVE_BYTES: Final[int]

@final
class Event:
    """A verified, parsed webhook event."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def timestamp(self) -> Optional[int]: ...
    @property
    def key_index(self) -> int: ...
    @property
    def data_json(self) -> str: ...
    @property
    def data(self) -> Any: ...

@final
class Verified:
    """What a signature-only check established."""

    @property
    def key_index(self) -> int: ...
    @property
    def timestamp(self) -> Optional[int]: ...
    @property
    def message_id(self) -> Optional[str]: ...

@final
class Verifier:
    """Verifies webhook requests of one scheme against one or more live secrets."""

    def __new__(
        cls,
        *,
        scheme: _Scheme,
        secret: Union[str, bytes, None] = None,
        secrets: Optional[Sequence[Union[str, bytes]]] = None,
        tolerance: Optional[int] = None,
        max_body_bytes: Optional[int] = None,
        dangerously_skip_timestamp_check: bool = False,
        max_event_age: Optional[int] = None,
        url: Optional[str] = None,
        method: Optional[str] = None,
        public_keys: Optional[Sequence[str]] = None,
    ) -> Verifier: ...
    def verify(
        self,
        body: _Body,
        headers: _Headers,
        now: Optional[int] = None,
        *,
        url: Optional[str] = None,
        method: Optional[str] = None,
    ) -> Event: ...
    def verify_signature(
        self,
        body: _Body,
        headers: _Headers,
        now: Optional[int] = None,
        *,
        url: Optional[str] = None,
        method: Optional[str] = None,
    ) -> Verified: ...
    @property
    def scheme(self) -> str: ...
    @property
    def tolerance(self) -> Optional[int]: ...
    @property
    def max_body_bytes(self) -> int: ...
    @property
    def max_event_age(self) -> Optional[int]: ...
    def set_secrets(self, secrets: Sequence[Union[str, bytes]]) -> None:
        """Replaces the live secrets atomically; on error the old ones stay."""
    @property
    def secret_count(self) -> int: ...

def sign(
    *,
    scheme: _Scheme,
    body: _Body,
    secret: Optional[Union[str, bytes]] = None,
    private_key: Optional[str] = None,
    id: Optional[str] = None,
    timestamp: Optional[int] = None,
    url: Optional[str] = None,
    method: Optional[str] = None,
) -> Dict[str, str]: ...
def diagnose(
    body: _Body,
    headers: _Headers,
    *,
    secrets: Sequence[str],
    scheme: Optional[_Scheme] = None,
    now: Optional[int] = None,
    url: Optional[str] = None,
    method: Optional[str] = None,
    public_keys: Optional[Sequence[str]] = None,
) -> str:
    """The core's diagnose report as one line of JSON (``hookverify.diagnose`` parses it)."""

# The deliberate-panic functions of the panic-safety tests exist only in the test build (cargo
# feature `test-hooks`, scripts/build-python.sh), never in the published wheel: not declared here.

_Decision = Tuple[int, List[Tuple[str, str]], str]
# An answer that may reject the delivery: ``_Decision`` plus the operator's log line (None unless rejected).
_Answer = Tuple[int, List[Tuple[str, str]], str, Optional[str]]

@final
class Store:
    """A dedup store (build it with ``hookverify.MemoryStore`` / ``hookverify.RedisStore``)."""

    @staticmethod
    def memory(capacity: Optional[int] = None) -> Store: ...
    @staticmethod
    def redis(url: str, prefix: Optional[str] = None, timeout: Optional[float] = None) -> Store: ...
    @staticmethod
    def external() -> Store:
        """The store of a receiver whose store is Python code (the core's ``CallerStore``)."""

@final
class PendingClaim:
    """A verified, routed delivery waiting for a Python store to claim ``key`` (``Pipeline.begin_external``)."""

    @property
    def event(self) -> Event: ...
    @property
    def key(self) -> str: ...
    @property
    def lease_ms(self) -> int: ...

@final
class Delivery:
    """A verified, claimed delivery whose handlers the caller runs before ``finish``."""

    @property
    def event(self) -> Event: ...
    @property
    def provider(self) -> str: ...
    @property
    def handlers(self) -> List[Callable[..., Any]]: ...
    @property
    def token(self) -> int: ...
    @property
    def key(self) -> str:
        """The dedup key ``namespace|provider|id`` (never the path; ``id`` is a ``sha256:`` digest of
        the signed content when the scheme's event id is not signed)."""
    @property
    def path(self) -> str: ...
    @property
    def query(self) -> Optional[str]: ...
    @property
    def sync(self) -> bool: ...

@final
class Pipeline:
    """The core receiver (use ``hookverify.Receiver``)."""

    def __new__(
        cls,
        config: str,
        *,
        store: Store,
        verifiers: Sequence[Verifier],
        handlers: Sequence[Callable[..., Any]],
    ) -> Pipeline: ...
    @property
    def max_body_bytes(self) -> int: ...
    @property
    def provider_names(self) -> List[str]: ...
    def too_large(self, length: int) -> Optional[_Answer]:
        """The core's 413 ``payload_too_large`` answer for a body of at least ``length`` bytes, or None."""
    def metrics_json(self) -> str: ...
    def prometheus(self) -> str: ...
    def begin(
        self, path: str, headers: _Headers, body: _Body, now: Optional[int] = None, method: str = "POST"
    ) -> Union[_Answer, Delivery]: ...
    def set_secrets(self, provider: str, secrets: Sequence[str]) -> None: ...
    def accepted(self, delivery: Delivery) -> _Decision: ...
    def finish(self, delivery: Delivery, ok: bool) -> _Decision: ...
    def start(self, delivery: Delivery) -> Literal["run", "done", "taken", "unavailable"]:
        """A queued async delivery's handlers start: its claim is taken again (fresh lease, new token)."""
    def begin_external(
        self, path: str, headers: _Headers, body: _Body, now: Optional[int] = None, method: str = "POST"
    ) -> Union[_Answer, PendingClaim]:
        """``begin`` up to the claim, which a Python store makes (core ``Receiver::begin_external``)."""
    def claimed(self, pending: PendingClaim, claim_json: str) -> Union[_Answer, Delivery]:
        """The step once the Python store answered the claim (JSON, checked by the core)."""
    def finished(self, delivery: Delivery, completion_json: Optional[str]) -> _Decision:
        """The answer once the Python store completed (its answer as JSON) or released (None) the claim."""
    def restarted(self, delivery: Delivery, claim_json: str) -> Literal["run", "done", "taken", "unavailable"]:
        """``start`` over a Python store: what its release-then-claim answered (JSON)."""
    @property
    def lease_ms(self) -> int: ...
    @property
    def retention_ms(self) -> int: ...

def overloaded_decision(limit: int) -> _Answer:
    """The core's 503 ``overloaded`` answer (with ``Retry-After``) for a full handler queue."""

def log_safe(text: str) -> str:
    """Text made safe for one log line: control characters (ANSI escapes, CR/LF, ...) as escapes."""

def type_matches(pattern: str, event_type: str) -> bool: ...
def select_routes(patterns: List[str], event_type: str, unhandled: bool = False) -> List[int]:
    """Indexes of the patterns an event type goes to: the specific matches, else the ``*`` ones,
    else (``unhandled``) ``len(patterns)``."""

@final
class Inbox:
    """The durable inbox ``hookverify serve`` writes (``hookverify.open_inbox`` wraps it); results are JSON text."""

    @staticmethod
    def open(location: str) -> Inbox: ...
    @staticmethod
    def open_config(path: str) -> Inbox: ...
    def list(self, filter_json: str) -> str: ...
    def show(self, id: str) -> Optional[str]: ...
    def begin_replay(self, id: str, lease_ms: int) -> str: ...
    def finish_replay(self, handle: int, error: Optional[str] = None) -> bool: ...
