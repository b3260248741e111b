//! Options objects from JSON text, with errors that never quote a value.
//!
//! Bindings hand the core their options (verifier, receiver, signer, diagnose) as JSON. A
//! mis-typed option is a likely mistake (`secrets: process.env.SECRET`, a string where a list is
//! expected), and serde's own message quotes the value it found (`invalid type: string "whsec_…"`),
//! so that message would carry the secret into the error, its `details`, and whatever logs it.
//! [`from_json`] is the one place options are deserialized: its error names where the problem is
//! (`providers[0].verifier.secrets`) and what was expected, never what was found.

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::{Error, Result};

/// Deserializes the `what` options (`"verifier"`, `"receiver"`, …) from JSON text.
///
/// On failure: `invalid_argument` with `"<what> options: <path>: <problem>"`, where the problem is
/// the kind of mistake and what was expected (`invalid type, expected a sequence`), a missing or
/// unknown field's name, or the JSON syntax error's position. The value found is never quoted.
pub fn from_json<T: DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        (path, e.into_inner())
    });
    let result = parsed.and_then(|value| de.end().map(|()| value).map_err(|e| (String::new(), e)));
    result.map_err(|(path, e)| {
        let path = if path.is_empty() || path == "." { String::new() } else { format!("`{path}`: ") };
        Error::InvalidArgument { reason: format!("{what} options: {path}{}", describe(&e)) }
    })
}

/// Deserializes `T` from an already parsed JSON value (part of a larger options object): the error
/// is `<path>: <problem>` as [`from_json`] words it, with no quote characters, so it survives as
/// the custom message of the enclosing deserializer.
pub(crate) fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> std::result::Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let problem = describe(e.inner()).replace(['`', '"', '\''], "");
        if path.is_empty() || path == "." {
            problem
        } else {
            format!("{path}: {problem}")
        }
    })
}

/// What went wrong, without the offending value.
fn describe(e: &serde_json::Error) -> String {
    let full = e.to_string();
    // serde_json appends the position to every message that has one.
    let position = if e.line() == 0 { String::new() } else { format!(" at line {} column {}", e.line(), e.column()) };
    let message = full.strip_suffix(position.as_str()).unwrap_or(&full);
    match e.classify() {
        // Syntax messages are fixed texts ("expected value", "trailing comma"): the position is
        // all they say about the input.
        Category::Syntax | Category::Eof | Category::Io => format!("not valid JSON: {message}{position}"),
        Category::Data => data_problem(message),
    }
}

/// A data error's kind and expectation. serde's messages are `<kind>: <value>, expected <what>`
/// (`invalid type`, `invalid value`), `invalid length <n>, expected <what>`, `unknown variant
/// <value>, expected <what>`, `unknown field <name>, expected <fields>`, `missing field <name>`,
/// or a custom text; the value part is dropped, whatever it holds.
pub(crate) fn data_problem(message: &str) -> String {
    const KINDS: [&str; 5] = ["invalid type", "invalid value", "invalid length", "unknown variant", "unknown field"];
    let kind = KINDS.iter().find(|k| message.starts_with(*k));
    // The expectation is the text after the LAST ", expected ": a value quoted before it may itself
    // contain those words, the expectation (a type or a list of names) does not.
    match (kind, message.rsplit_once(", expected ")) {
        (Some(&"unknown field"), Some((head, expected))) => {
            // The unknown key is a name the caller wrote (`secert`), not a value: worth showing.
            let name = head.strip_prefix("unknown field ").unwrap_or("");
            if name.len() <= 66 && name.starts_with('`') && name.ends_with('`') {
                format!("unknown field {name}, expected {expected}")
            } else {
                format!("unknown field, expected {expected}")
            }
        }
        (Some(kind), Some((_, expected))) => format!("{kind}, expected {expected}"),
        (Some(kind), None) => (*kind).to_owned(),
        (None, _) if message.starts_with("missing field `") || message.starts_with("duplicate field `") => message.to_owned(),
        // A custom message of this crate's own Deserialize impls: fixed text, no quotes.
        (None, _) if !message.contains(['`', '"', '\'']) => message.to_owned(),
        (None, _) => "invalid value".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Opts {
        secrets: Vec<String>,
        #[serde(default)]
        count: Option<u8>,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        secret: String,
    }

    fn reason(json: &str) -> String {
        match from_json::<Opts>("test", json).unwrap_err() {
            Error::InvalidArgument { reason } => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_path_and_expectation_never_the_value() {
        let r = reason(r#"{"secrets":"CANARY, expected a map at line 9 column 9"}"#);
        assert_eq!(r, "test options: `secrets`: invalid type, expected a sequence");
        let r = reason(r#"{"secrets":["ok", 12345678]}"#);
        assert_eq!(r, "test options: `secrets[1]`: invalid type, expected a string");
        let r = reason(r#"{"secrets":[],"inner":{"secret":{"CANARY":1}}}"#);
        assert_eq!(r, "test options: `inner.secret`: invalid type, expected a string");
        let r = reason(r#"{"secrets":[],"count":99999}"#);
        assert_eq!(r, "test options: `count`: invalid value, expected u8");
        assert_eq!(reason(r#"{}"#), "test options: missing field `secrets`");
        assert!(reason(r#"{"secrets":[],"secert":"CANARY"}"#).contains("unknown field `secert`, expected one of"));
        let r = reason(r#"{"secrets":["CANARY""#);
        assert!(r.contains("not valid JSON: EOF while parsing") && !r.contains("CANARY"), "{r}");
        assert!(reason(r#"{"secrets":[]} CANARY"#).starts_with("test options: not valid JSON: trailing characters"));
    }
}
