//! A dedup store that is the caller's code (a JS or Python object, an async client): the core
//! never calls it ([`CallerStore`]); the caller reports each outcome in JSON
//! ([`claim_from_json`], [`completion_from_json`]), checked here once for every binding.

use std::time::Duration;

use serde::Deserialize;

use super::{Claim, Completion, Store, Token};
use crate::error::{Error, Result};

/// The store of a receiver whose store is the caller's ([`Receiver::begin_external`]): every call
/// is an `internal_error`, so a path that used it by mistake answers 500 and runs nothing.
///
/// [`Receiver::begin_external`]: crate::Receiver::begin_external
#[derive(Debug, Default, Clone, Copy)]
pub struct CallerStore;

fn not_here() -> Error {
    Error::InternalError { reason: "this receiver's store is the caller's: claim through begin_external".into() }
}

impl Store for CallerStore {
    fn claim(&self, _: &str, _: Duration) -> Result<Claim> {
        Err(not_here())
    }
    fn complete(&self, _: &str, _: Token, _: Duration) -> Result<Completion> {
        Err(not_here())
    }
    fn release(&self, _: &str, _: Token) -> Result<bool> {
        Err(not_here())
    }
    fn may_block(&self) -> bool {
        true
    }
}

/// A token as a caller's store gives it: a non-negative integer (JSON number or decimal string).
#[derive(Deserialize)]
#[serde(untagged)]
enum TokenText {
    Number(u64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ClaimJson {
    acquired: Option<TokenText>,
    done: Option<bool>,
    /// Milliseconds until the holder's lease ends.
    in_progress: Option<u64>,
    error: Option<String>,
}

fn unusable(what: &str, problem: impl std::fmt::Display) -> Error {
    Error::StoreUnavailable { reason: format!("the store's {what} answer is not usable: {problem}") }
}

/// A caller store's claim outcome: `{"acquired": token}`, `{"done": true}`,
/// `{"inProgress": retryAfterMs}`, or `{"error": "message"}` (the store failed). The error, and
/// any other shape, is `store_unavailable` (503 + `Retry-After`: the sender retries); nothing is
/// run on an answer that is not understood.
pub fn claim_from_json(json: &str) -> Result<Claim> {
    let c: ClaimJson = serde_json::from_str(json).map_err(|e| unusable("claim", e))?;
    match (c.acquired, c.done, c.in_progress, c.error) {
        (Some(t), None, None, None) => match t {
            TokenText::Number(n) => Ok(Claim::Acquired(Token(n))),
            TokenText::Text(s) => {
                s.parse().map(|n| Claim::Acquired(Token(n))).map_err(|_| unusable("claim", "the token is not a non-negative integer"))
            }
        },
        (None, Some(true), None, None) => Ok(Claim::Done),
        (None, None, Some(ms), None) => Ok(Claim::InProgress { retry_after: Duration::from_millis(ms) }),
        (None, None, None, Some(message)) => Err(Error::StoreUnavailable { reason: format!("the store's claim failed: {message}") }),
        _ => Err(unusable("claim", "give exactly one of acquired, done: true, inProgress, error")),
    }
}

/// A caller store's completion outcome: `"recorded"`, `"lease_lost"` (the claim was no longer
/// this token's), or `{"error": "message"}`. The handlers ran either way: the answer stays 200,
/// with a `Hookverify-Warning` when the done marker may be missing.
pub fn completion_from_json(json: &str) -> Result<Completion> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum CompletionJson {
        Word(String),
        Failed { error: String },
    }
    match serde_json::from_str(json).map_err(|e| unusable("complete", e))? {
        CompletionJson::Word(w) if w == "recorded" => Ok(Completion::Recorded),
        CompletionJson::Word(w) if w == "lease_lost" || w == "leaseLost" => Ok(Completion::LeaseLost),
        CompletionJson::Word(_) => Err(unusable("complete", "expected \"recorded\" or \"lease_lost\"")),
        CompletionJson::Failed { error } => Err(Error::StoreUnavailable { reason: format!("the store's complete failed: {error}") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_in_every_documented_shape() {
        assert_eq!(claim_from_json(r#"{"acquired": 7}"#).unwrap(), Claim::Acquired(Token(7)));
        assert_eq!(claim_from_json(r#"{"acquired": "18446744073709551615"}"#).unwrap(), Claim::Acquired(Token(u64::MAX)));
        assert_eq!(claim_from_json(r#"{"done": true}"#).unwrap(), Claim::Done);
        assert_eq!(claim_from_json(r#"{"inProgress": 1500}"#).unwrap(), Claim::InProgress { retry_after: Duration::from_millis(1500) });
        for bad in [
            r#"{"error": "down"}"#,
            "{}",
            r#"{"acquired": -1}"#,
            r#"{"acquired": "x"}"#,
            r#"{"done": false}"#,
            r#"{"acquired": 1, "done": true}"#,
            "null",
            r#"{"other": 1}"#,
        ] {
            let e = claim_from_json(bad).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::StoreUnavailable, "{bad}");
        }
    }

    #[test]
    fn completions() {
        assert_eq!(completion_from_json(r#""recorded""#).unwrap(), Completion::Recorded);
        assert_eq!(completion_from_json(r#""lease_lost""#).unwrap(), Completion::LeaseLost);
        assert!(completion_from_json(r#"{"error": "down"}"#).is_err());
        assert!(completion_from_json(r#""yes""#).is_err());
        assert!(completion_from_json("true").is_err());
    }
}
