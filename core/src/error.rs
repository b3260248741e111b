//! The error type, its stable codes, and their messages.
//!
//! Every failure the core can report is one [`Error`] variant. Each variant
//! maps to exactly one [`ErrorCode`], whose snake_case string is stable and
//! is what every binding exposes (`err.code` in JS, `.code` in Python, the
//! `code` field of the CLI's JSON). The table is [`ErrorCode::ALL`]; each
//! binding's tests compare their exported list against it.
//!
//! Messages say what was expected and what was found. They never contain a
//! secret or an expected MAC: the only header text they quote is what the
//! sender put on the wire, and that is truncated.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Stable machine-readable error codes (see `spec/errors.md`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    /// A required header (signature, timestamp or id) is absent.
    MissingHeader,
    /// A header is present but cannot be parsed.
    MalformedHeader,
    /// The timestamp is not a canonical, plausible unix time in seconds.
    MalformedTimestamp,
    /// The timestamp is older than the tolerance allows.
    TimestampTooOld,
    /// The timestamp is further in the future than the tolerance allows.
    TimestampTooNew,
    /// Well-formed signatures were present but none matched any secret.
    NoMatchingSignature,
    /// A secret is empty or cannot be decoded.
    InvalidSecret,
    /// The body exceeds the configured size cap.
    PayloadTooLarge,
    /// The body is not valid JSON (only reported when parsing an event).
    InvalidJson,
    /// The JSON envelope lacks a field the scheme's event mapping needs.
    MissingField,
    /// No built-in scheme has this name.
    UnknownScheme,
    /// A custom scheme spec is invalid.
    InvalidScheme,
    /// An argument had the wrong type or value (raised by bindings and options).
    InvalidArgument,
    /// The duplicate-suppression store could not be reached.
    StoreUnavailable,
    /// A bug inside hookverify was caught at an API boundary.
    InternalError,
    /// The receiver's handler queue is full; nothing was claimed and the sender should retry.
    Overloaded,
    /// A handler failed (sync mode); the claim was released so the sender's retry runs it again.
    HandlerFailed,
    /// The request's path is outside the receiver's `base_path`.
    NotFound,
    /// The inbox (the delivery log and durable queue) could not be reached or written: nothing was
    /// recorded, and the sender should retry.
    InboxUnavailable,
    /// A handshake request (a challenge a sender sends to prove the endpoint) failed its check:
    /// a wrong verify token, a challenge too long or not visible ASCII. Nothing is echoed.
    HandshakeRejected,
    /// The request's method is not POST and it is no handshake a provider's scheme declares.
    MethodNotAllowed,
}

/// Serialized as its stable string (`no_matching_signature`, ...).
impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl ErrorCode {
    /// Every code, in the order of `spec/errors.md`.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::MissingHeader,
        ErrorCode::MalformedHeader,
        ErrorCode::MalformedTimestamp,
        ErrorCode::TimestampTooOld,
        ErrorCode::TimestampTooNew,
        ErrorCode::NoMatchingSignature,
        ErrorCode::InvalidSecret,
        ErrorCode::PayloadTooLarge,
        ErrorCode::InvalidJson,
        ErrorCode::MissingField,
        ErrorCode::UnknownScheme,
        ErrorCode::InvalidScheme,
        ErrorCode::InvalidArgument,
        ErrorCode::StoreUnavailable,
        ErrorCode::InternalError,
        ErrorCode::Overloaded,
        ErrorCode::HandlerFailed,
        ErrorCode::NotFound,
        ErrorCode::InboxUnavailable,
        ErrorCode::HandshakeRejected,
        ErrorCode::MethodNotAllowed,
    ];

    /// The stable snake_case string for this code.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MissingHeader => "missing_header",
            ErrorCode::MalformedHeader => "malformed_header",
            ErrorCode::MalformedTimestamp => "malformed_timestamp",
            ErrorCode::TimestampTooOld => "timestamp_too_old",
            ErrorCode::TimestampTooNew => "timestamp_too_new",
            ErrorCode::NoMatchingSignature => "no_matching_signature",
            ErrorCode::InvalidSecret => "invalid_secret",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::UnknownScheme => "unknown_scheme",
            ErrorCode::InvalidScheme => "invalid_scheme",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::HandlerFailed => "handler_failed",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InboxUnavailable => "inbox_unavailable",
            ErrorCode::HandshakeRejected => "handshake_rejected",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
        }
    }

    /// Looks a code up by its string.
    pub fn from_str_code(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// The HTTP status a receiver answers with when this error stops a delivery.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::MissingHeader
            | ErrorCode::MalformedHeader
            | ErrorCode::MalformedTimestamp
            | ErrorCode::TimestampTooOld
            | ErrorCode::TimestampTooNew
            | ErrorCode::NoMatchingSignature => 401,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::InvalidJson | ErrorCode::MissingField => 400,
            ErrorCode::StoreUnavailable | ErrorCode::Overloaded | ErrorCode::InboxUnavailable => 503,
            ErrorCode::NotFound => 404,
            ErrorCode::HandshakeRejected => 403,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::HandlerFailed
            | ErrorCode::InvalidSecret
            | ErrorCode::UnknownScheme
            | ErrorCode::InvalidScheme
            | ErrorCode::InvalidArgument
            | ErrorCode::InternalError => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every error hookverify reports. Match on [`Error::code`] for stable handling.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// See [`ErrorCode::MissingHeader`].
    #[error("missing header {header}: the request has no {header} header")]
    MissingHeader {
        /// The header that was expected.
        header: String,
    },
    /// See [`ErrorCode::MissingHeader`]: a receiver with several providers found none of their
    /// signature headers on the request.
    #[error("missing header: the request has none of the configured providers' signature headers ({expected})")]
    NoProviderMatched {
        /// Every provider's signature header, joined with " or " (for logs, never for the sender).
        expected: String,
    },
    /// See [`ErrorCode::MalformedHeader`].
    #[error("malformed header {header}: {reason}")]
    MalformedHeader {
        /// The header that could not be parsed.
        header: String,
        /// What was expected and what was found.
        reason: String,
    },
    /// See [`ErrorCode::MalformedTimestamp`].
    #[error("malformed timestamp in {header}: {reason}")]
    MalformedTimestamp {
        /// Where the timestamp came from.
        header: String,
        /// What was wrong with it.
        reason: String,
    },
    /// See [`ErrorCode::TimestampTooOld`].
    #[error("timestamp too old: signed {skew_seconds} s before now, tolerance is {tolerance_seconds} s")]
    TimestampTooOld {
        /// How many seconds before `now` the message was signed.
        skew_seconds: u64,
        /// The configured window.
        tolerance_seconds: u64,
    },
    /// See [`ErrorCode::TimestampTooNew`].
    #[error("timestamp too new: signed {skew_seconds} s after now, tolerance is {tolerance_seconds} s (check the clocks)")]
    TimestampTooNew {
        /// How many seconds after `now` the message claims to be signed.
        skew_seconds: u64,
        /// The configured window.
        tolerance_seconds: u64,
    },
    /// See [`ErrorCode::NoMatchingSignature`].
    #[error("no matching signature: {signatures} signature(s) in {header} checked against {secrets} secret(s), none matched (was the raw body used, unmodified?)")]
    NoMatchingSignature {
        /// The signature header that was checked.
        header: String,
        /// How many well-formed signatures the header carried.
        signatures: usize,
        /// How many secrets were tried.
        secrets: usize,
    },
    /// See [`ErrorCode::InvalidSecret`].
    #[error("invalid secret: {reason}")]
    InvalidSecret {
        /// Why the secret was refused (never the secret itself).
        reason: String,
    },
    /// See [`ErrorCode::PayloadTooLarge`].
    #[error("payload too large: {size} bytes, the limit is {limit} bytes")]
    PayloadTooLarge {
        /// The body's size.
        size: usize,
        /// The configured cap.
        limit: usize,
    },
    /// See [`ErrorCode::InvalidJson`].
    #[error("invalid JSON body: {reason}")]
    InvalidJson {
        /// The parser's complaint.
        reason: String,
    },
    /// See [`ErrorCode::MissingField`].
    #[error("missing field {field}: the event envelope has no {field} (looked at {source_desc})")]
    MissingField {
        /// The envelope field (`id`, `type`, ...).
        field: String,
        /// Where the scheme says it lives.
        source_desc: String,
    },
    /// See [`ErrorCode::UnknownScheme`].
    #[error("unknown scheme {name:?}: expected one of {known}, or a custom scheme spec")]
    UnknownScheme {
        /// The name that was asked for.
        name: String,
        /// The known preset names, comma separated.
        known: String,
    },
    /// See [`ErrorCode::InvalidScheme`].
    #[error("invalid scheme spec: {reason}")]
    InvalidScheme {
        /// What is wrong with the spec.
        reason: String,
    },
    /// See [`ErrorCode::InvalidArgument`].
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What was expected and what was given.
        reason: String,
    },
    /// See [`ErrorCode::StoreUnavailable`].
    #[error("dedup store unavailable: {reason}")]
    StoreUnavailable {
        /// The underlying failure (never credentials).
        reason: String,
    },
    /// See [`ErrorCode::InboxUnavailable`].
    #[error("inbox unavailable: {reason}")]
    InboxUnavailable {
        /// The underlying failure (never credentials: a database URL's password is never quoted).
        reason: String,
    },
    /// See [`ErrorCode::Overloaded`].
    #[error("overloaded: {reason}")]
    Overloaded {
        /// What is full (never request content).
        reason: String,
    },
    /// See [`ErrorCode::HandlerFailed`].
    #[error("a handler failed; the delivery was released so a retry runs it again")]
    HandlerFailed,
    /// See [`ErrorCode::NotFound`].
    #[error("not found: this endpoint receives webhooks under {base_path}")]
    NotFound {
        /// The receiver's base path (configuration, not request text).
        base_path: String,
    },
    /// See [`ErrorCode::HandshakeRejected`].
    #[error("handshake rejected: {reason}")]
    HandshakeRejected {
        /// Which check failed (never the token or the challenge).
        reason: String,
    },
    /// See [`ErrorCode::MethodNotAllowed`].
    #[error("method not allowed: webhooks are POSTed here (a {method} request is no handshake this endpoint answers)")]
    MethodNotAllowed {
        /// The request's method (at most 16 visible ASCII characters are kept).
        method: String,
    },
    /// See [`ErrorCode::InternalError`].
    #[error("internal error: {reason}")]
    InternalError {
        /// What went wrong.
        reason: String,
    },
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::MissingHeader { .. } | Error::NoProviderMatched { .. } => ErrorCode::MissingHeader,
            Error::MalformedHeader { .. } => ErrorCode::MalformedHeader,
            Error::MalformedTimestamp { .. } => ErrorCode::MalformedTimestamp,
            Error::TimestampTooOld { .. } => ErrorCode::TimestampTooOld,
            Error::TimestampTooNew { .. } => ErrorCode::TimestampTooNew,
            Error::NoMatchingSignature { .. } => ErrorCode::NoMatchingSignature,
            Error::InvalidSecret { .. } => ErrorCode::InvalidSecret,
            Error::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Error::InvalidJson { .. } => ErrorCode::InvalidJson,
            Error::MissingField { .. } => ErrorCode::MissingField,
            Error::UnknownScheme { .. } => ErrorCode::UnknownScheme,
            Error::InvalidScheme { .. } => ErrorCode::InvalidScheme,
            Error::InvalidArgument { .. } => ErrorCode::InvalidArgument,
            Error::StoreUnavailable { .. } => ErrorCode::StoreUnavailable,
            Error::InboxUnavailable { .. } => ErrorCode::InboxUnavailable,
            Error::Overloaded { .. } => ErrorCode::Overloaded,
            Error::HandlerFailed => ErrorCode::HandlerFailed,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::HandshakeRejected { .. } => ErrorCode::HandshakeRejected,
            Error::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            Error::InternalError { .. } => ErrorCode::InternalError,
        }
    }

    /// Structured fields of this error as a JSON object (what bindings attach as `details`).
    pub fn details(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Error::MissingHeader { header } | Error::NoProviderMatched { expected: header } => json!({ "header": header }),
            Error::MalformedHeader { header, reason } | Error::MalformedTimestamp { header, reason } => {
                json!({ "header": header, "reason": reason })
            }
            Error::TimestampTooOld { skew_seconds, tolerance_seconds } => {
                json!({ "skew_seconds": -(*skew_seconds as i64), "tolerance_seconds": tolerance_seconds })
            }
            Error::TimestampTooNew { skew_seconds, tolerance_seconds } => {
                json!({ "skew_seconds": skew_seconds, "tolerance_seconds": tolerance_seconds })
            }
            Error::NoMatchingSignature { header, signatures, secrets } => {
                json!({ "header": header, "signatures": signatures, "secrets": secrets })
            }
            Error::PayloadTooLarge { size, limit } => json!({ "size": size, "limit": limit }),
            Error::HandlerFailed => json!({}),
            Error::NotFound { base_path } => json!({ "base_path": base_path }),
            Error::MethodNotAllowed { method } => json!({ "method": method }),
            Error::MissingField { field, source_desc } => json!({ "field": field, "source": source_desc }),
            Error::UnknownScheme { name, .. } => json!({ "name": name }),
            Error::InvalidSecret { reason }
            | Error::InvalidJson { reason }
            | Error::InvalidScheme { reason }
            | Error::InvalidArgument { reason }
            | Error::StoreUnavailable { reason }
            | Error::InboxUnavailable { reason }
            | Error::Overloaded { reason }
            | Error::HandshakeRejected { reason }
            | Error::InternalError { reason } => json!({ "reason": reason }),
        }
    }

    /// [`details`](Error::details) as JavaScript sees them, as JSON text: camelCase keys
    /// (`skewSeconds`, `toleranceSeconds`, `basePath`), by [`crate::case::camel_case_keys`].
    pub fn details_json_camel_case(&self) -> String {
        crate::case::camel_case_keys(&self.details().to_string())
    }

    /// The message for an HTTP answer to an unauthenticated sender: the [`Display`](fmt::Display)
    /// text, less what only the operator should learn. A `401` does not say how many secrets are
    /// live (a rotation in progress) nor which other providers the endpoint serves; a `503` does not
    /// carry the store's error text. The full text stays in the error itself (its `Display`, the
    /// exceptions of `verify`), for logs, and `diagnose` reports the rest.
    pub fn public_message(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Error::NoMatchingSignature { header, signatures, .. } => Cow::Owned(format!(
                "no matching signature: {signatures} signature(s) in {header}, none matched a live secret (was the raw body used, unmodified?)"
            )),
            Error::NoProviderMatched { .. } => Cow::Borrowed("missing header: the request has no signature header this endpoint accepts"),
            Error::StoreUnavailable { .. } => {
                Cow::Borrowed("dedup store unavailable: the delivery was not processed; retry later")
            }
            Error::InboxUnavailable { .. } => Cow::Borrowed("inbox unavailable: the delivery was not recorded; retry later"),
            // One text whatever the size was measured from (a declared Content-Length, the bytes
            // read before a stream was cut off, the whole body): the size goes to the log line.
            Error::PayloadTooLarge { limit, .. } => Cow::Owned(format!("payload too large: the limit is {limit} bytes")),
            // The base path is the operator's configuration: the log line has it, the sender does not.
            Error::NotFound { .. } => Cow::Borrowed("not found: no webhook endpoint at this path"),
            other => Cow::Owned(other.to_string()),
        }
    }

    /// The operator's record of a delivery this error stopped, one line: the code, the HTTP
    /// status, the provider when one was matched, and the full [`Display`](fmt::Display) text
    /// (how many secrets were tried, which headers each provider expects, the store's own error):
    /// `rejected delivery: code=store_unavailable status=503 provider=github: dedup store
    /// unavailable: …`. Never a secret (no message holds one); control characters, including
    /// any in request-derived text, are escaped by [`log_safe`]. Every front end logs this line
    /// for each rejected delivery; the sender only ever sees [`public_message`](Error::public_message).
    pub fn log_line(&self, provider: Option<&str>) -> String {
        use fmt::Write;
        let code = self.code();
        let mut line = format!("rejected delivery: code={code} status={}", code.http_status());
        if let Some(name) = provider {
            let _ = write!(line, " provider={}", log_safe(name));
        }
        let _ = write!(line, ": {}", log_safe(&self.to_string()));
        line
    }

    /// An error of `code` whose text is `reason`, for the codes whose variant carries only a reason
    /// (`invalid_secret`, `invalid_json`, `invalid_scheme`, `invalid_argument`, `store_unavailable`,
    /// `inbox_unavailable`, `overloaded`, `internal_error`): what a front end answers for a failure of its own (a body a
    /// framework already consumed, a crash in its glue) through [`crate::Decision::from_error`].
    /// `None` for every other code.
    pub fn with_reason(code: ErrorCode, reason: impl Into<String>) -> Option<Error> {
        let reason = reason.into();
        Some(match code {
            ErrorCode::InvalidSecret => Error::InvalidSecret { reason },
            ErrorCode::InvalidJson => Error::InvalidJson { reason },
            ErrorCode::InvalidScheme => Error::InvalidScheme { reason },
            ErrorCode::InvalidArgument => Error::InvalidArgument { reason },
            ErrorCode::StoreUnavailable => Error::StoreUnavailable { reason },
            ErrorCode::InboxUnavailable => Error::InboxUnavailable { reason },
            ErrorCode::Overloaded => Error::Overloaded { reason },
            ErrorCode::InternalError => Error::InternalError { reason },
            _ => return None,
        })
    }

    pub(crate) fn malformed(header: &str, reason: impl Into<String>) -> Error {
        Error::MalformedHeader { header: header.to_owned(), reason: reason.into() }
    }
}

/// Text made safe for one log line: C0 controls, DEL, C1 controls and the Unicode line and
/// paragraph separators are written as `\xNN` / `\u2028` / `\u2029`, so request-derived text
/// (ids, header values, paths) cannot forge a line or send terminal escapes. Everything else is
/// kept as is; text without such characters is returned borrowed. Every binding escapes its own
/// log lines with this function.
pub fn log_safe(text: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    use std::fmt::Write;
    let unsafe_char = |c: char| matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if unsafe_char(c) => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Shortens attacker-controlled text before it is quoted in a message.
pub(crate) fn quote(value: &[u8]) -> String {
    const MAX: usize = 48;
    let text = String::from_utf8_lossy(&value[..value.len().min(MAX)]);
    let escaped: String = text.escape_debug().collect();
    if value.len() > MAX {
        format!("\"{escaped}\"… ({} bytes)", value.len())
    } else {
        format!("\"{escaped}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            assert_eq!(ErrorCode::from_str_code(code.as_str()), Some(*code));
        }
    }

    #[test]
    fn codes_match_spec_table() {
        let spec = include_str!("../../spec/errors.md");
        for code in ErrorCode::ALL {
            assert!(spec.contains(&format!("`{}`", code.as_str())), "{code} missing from spec/errors.md");
        }
    }

    #[test]
    fn quote_truncates_long_values() {
        let long = vec![b'a'; 500];
        let q = quote(&long);
        assert!(q.len() < 80, "{q}");
        assert!(q.contains("500 bytes"));
    }
}
