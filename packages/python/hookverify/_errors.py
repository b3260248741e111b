"""The one exception hookverify raises."""

from typing import Any, Dict, Optional


class HookverifyError(ValueError):
    """A verification or usage failure, with the core's stable snake_case ``code``.

    ``message`` says what was expected and what was found; ``details`` holds the
    structured fields (header name, skew seconds, sizes...). Neither ever contains
    a secret or an expected signature.
    """

    code: str
    message: str
    details: Dict[str, Any]

    def __init__(self, code: str, message: str, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = dict(details) if details else {}

    def __repr__(self) -> str:
        return f"HookverifyError(code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> Any:
        return (type(self), (self.code, self.message, self.details))
