"""Type stubs of the native module (hand-written; checked with ``python -m mypy.stubtest``)."""

from typing import Any, Dict, Final, Mapping, Optional, Sequence, Tuple, Union, final

_Body = Union[bytes, bytearray, memoryview, str]
_HeaderText = Union[str, bytes]
_Headers = Union[Mapping[str, _HeaderText], Mapping[bytes, _HeaderText], Sequence[Tuple[_HeaderText, _HeaderText]]]
_Scheme = Union[str, Mapping[str, Any]]

__all__ = ["DEFAULT_MAX_BODY_BYTES", "ERROR_CODES", "Event", "SCHEMES", "Verified", "Verifier", "__version__", "_panic_for_tests", "sign"]

__version__: Final[str]
ERROR_CODES: Final[Tuple[str, ...]]
SCHEMES: Final[Tuple[str, ...]]
DEFAULT_MAX_BODY_BYTES: Final[int]

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
    ) -> Verifier: ...
    def verify(self, body: _Body, headers: _Headers, now: Optional[int] = None) -> Event: ...
    def verify_signature(self, body: _Body, headers: _Headers, now: Optional[int] = None) -> Verified: ...
    @property
    def scheme(self) -> str: ...
    @property
    def tolerance(self) -> Optional[int]: ...
    @property
    def max_body_bytes(self) -> int: ...
    @property
    def secret_count(self) -> int: ...

def sign(
    *,
    scheme: _Scheme,
    secret: Union[str, bytes],
    body: _Body,
    id: Optional[str] = None,
    timestamp: Optional[int] = None,
) -> Dict[str, str]: ...

def _panic_for_tests() -> None:
    """Panics inside the FFI guard (raises HookverifyError with code internal_error); for the test suite."""
