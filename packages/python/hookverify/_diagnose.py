"""``diagnose``: why a delivery does (not) verify, as a typed report of the core's JSON."""

import json
import typing as t
from dataclasses import dataclass, field

from . import _native

__all__ = ["Check", "EventSummary", "Hint", "Report", "diagnose"]

_HeaderText = t.Union[str, bytes]
_Headers = t.Union[
    t.Mapping[str, _HeaderText], t.Mapping[bytes, _HeaderText], t.Sequence[t.Tuple[_HeaderText, _HeaderText]]
]


@dataclass(frozen=True)
class Check:
    """One thing diagnose looked at: a stable ``name``, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Hint:
    """A cause the core confirmed by recomputing the MAC: a code of ``HINT_CODES`` and the fix."""

    code: str
    message: str


@dataclass(frozen=True)
class EventSummary:
    """The envelope of a valid delivery."""

    id: str
    type: str
    timestamp: t.Optional[int]


@dataclass(frozen=True)
class Report:
    """The outcome of ``diagnose`` (fields in the order of the core's JSON; see spec/errors.md)."""

    valid: bool
    scheme: t.Optional[str]
    detected: bool
    key_index: t.Optional[int]
    checks: t.Tuple[Check, ...]
    hints: t.Tuple[Hint, ...]
    event: t.Optional[EventSummary]
    _json: str = field(default="", init=False, repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> "Report":
        """A report from the core's JSON (``to_json`` then returns exactly ``text``)."""
        d = json.loads(text)
        event = d["event"]
        report = cls(
            valid=d["valid"],
            scheme=d["scheme"],
            detected=d["detected"],
            key_index=d["key_index"],
            checks=tuple(Check(**c) for c in d["checks"]),
            hints=tuple(Hint(**h) for h in d["hints"]),
            event=None if event is None else EventSummary(**event),
        )
        object.__setattr__(report, "_json", text)
        return report

    def to_json(self) -> str:
        """The report as the core's one line of JSON (what ``hookverify diagnose --json`` prints)."""
        if self._json:
            return self._json
        as_dict = {
            "valid": self.valid,
            "scheme": self.scheme,
            "detected": self.detected,
            "key_index": self.key_index,
            "checks": [vars(c) for c in self.checks],
            "hints": [vars(h) for h in self.hints],
            "event": None if self.event is None else vars(self.event),
        }
        return json.dumps(as_dict, separators=(",", ":"), ensure_ascii=False)

    def check(self, name: str) -> t.Optional[Check]:
        """The check with this name, if it was made."""
        return next((c for c in self.checks if c.name == name), None)

    @property
    def codes(self) -> t.Tuple[str, ...]:
        """The hint codes, in order."""
        return tuple(h.code for h in self.hints)


def diagnose(
    body: t.Union[bytes, bytearray, memoryview, str],
    headers: _Headers,
    *,
    secrets: t.Sequence[str],
    scheme: t.Union[str, t.Mapping[str, t.Any], None] = None,
    now: t.Optional[int] = None,
    url: t.Optional[str] = None,
    method: t.Optional[str] = None,
    public_keys: t.Sequence[str] = (),
) -> Report:
    """Explains a delivery: checks, validity, and (when invalid) hints the core confirmed by
    recomputing the HMAC over candidate variants. ``scheme=None`` detects it from the headers;
    ``now`` is unix seconds (default: the clock). Bad arguments raise ``HookverifyError``
    (``invalid_argument``, ``unknown_scheme``, ``invalid_scheme``); a bad delivery never raises.
    The report never contains a secret, a piece of one, or an expected signature. ``url`` and
    ``method``: the URL the sender called and the method, for schemes that sign them (a
    ``wrong_url`` hint names another spelling of the URL that verifies). ``public_keys``: for
    schemes with public-key signatures (discord, sendgrid, standard ``v1a``).

    Arguments are ``(body, headers)``, as everywhere in hookverify (0.1.0 took
    ``(headers, body)``); ``diagnose(body=..., headers=...)`` reads the same in either version."""
    return Report.from_json(
        _native.diagnose(
            body, headers, secrets=secrets, scheme=scheme, now=now, url=url, method=method, public_keys=public_keys
        )
    )
