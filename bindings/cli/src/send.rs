//! `hookverify send`: POST a correctly signed test event and print the answer.
//! Exit 0 on a 2xx answer, 1 on any other answer or a transport failure, 2 usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use hookverify::scheme::FieldSource;
use hookverify::{rfc3339_utc, unix_now, RequestTarget, Scheme};
use serde_json::{json, Map, Value};

use crate::common::{usage_error, SchemeArgs, SigningSecretArgs};
use crate::sign::random_id;

/// Arguments of `hookverify send`.
#[derive(Args, Debug)]
pub struct SendArgs {
    /// Where to POST the event (http:// or https://).
    url: String,
    #[command(flatten)]
    scheme: SchemeArgs,
    #[command(flatten)]
    secret: SigningSecretArgs,
    /// Event type (default `hookverify.test`; `ping` for GitHub).
    #[arg(long = "type", value_name = "TYPE")]
    event_type: Option<String>,
    /// The event payload as JSON, wrapped in the scheme's envelope (default `{}`).
    #[arg(long, value_name = "JSON", conflicts_with = "body_file")]
    data: Option<String>,
    /// Send this file's bytes as the body, as-is (no envelope).
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// Event / message id; a random one when omitted.
    #[arg(long)]
    id: Option<String>,
    /// Unix seconds to sign (schemes with a timestamp); now when omitted.
    #[arg(long)]
    timestamp: Option<i64>,
}

/// The first JSON pointer a field source reads from the body (headers are set by the signer).
fn first_pointer(source: &FieldSource) -> Option<&str> {
    match source {
        FieldSource::Pointer(p) => Some(p),
        FieldSource::Rule(rule) if rule.header.is_some() => None,
        FieldSource::Rule(rule) => rule.pointer.as_deref(),
        FieldSource::AnyOf(list) => list.first().and_then(first_pointer),
        _ => None, // a source kind this CLI does not know: let the signer leave the field alone
    }
}

/// Sets `value` at a JSON pointer, creating objects on the way.
fn set_pointer(root: &mut Value, pointer: &str, value: Value) {
    if pointer.is_empty() {
        *root = value;
        return;
    }
    let mut at = root;
    let tokens: Vec<String> = pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
    for (i, token) in tokens.iter().enumerate() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let map = at.as_object_mut().expect("made an object above");
        if i + 1 == tokens.len() {
            map.insert(token.clone(), value);
            return;
        }
        at = map.entry(token.clone()).or_insert_with(|| Value::Object(Map::new()));
    }
}

/// The body a sender of `scheme` would send for this event.
fn envelope(scheme: &Scheme, id: &str, event_type: &str, now: i64, data: Value) -> Value {
    match scheme.name() {
        "stripe" => json!({ "id": id, "object": "event", "type": event_type, "created": now, "data": { "object": data } }),
        "standard" => {
            json!({ "type": event_type, "timestamp": rfc3339_utc(now.saturating_mul(1000), false).unwrap_or_default(), "data": data })
        }
        "slack" => {
            let mut event = Map::new();
            event.insert("type".into(), json!(event_type));
            if let Value::Object(fields) = data {
                event.extend(fields.into_iter().filter(|(k, _)| k != "type"));
            }
            json!({ "type": "event_callback", "event_id": id, "event_time": now, "event": event })
        }
        _ => {
            let mapping = &scheme.spec().event;
            if mapping.data.is_empty() {
                // GitHub, Shopify: the body is the payload; id and type travel in headers.
                return data;
            }
            let mut body = Value::Object(Map::new());
            for (source, value) in [(&mapping.id, json!(id)), (&mapping.event_type, json!(event_type)), (&mapping.timestamp, json!(now))] {
                if let Some(pointer) = source.as_ref().and_then(first_pointer) {
                    set_pointer(&mut body, pointer, value);
                }
            }
            set_pointer(&mut body, &mapping.data, data);
            body
        }
    }
}

pub fn run(args: SendArgs) -> ExitCode {
    let scheme = match args.scheme.resolve() {
        Ok(s) => s,
        Err(e) => return usage_error(&e.to_string()),
    };
    let signer = match args.secret.signer(scheme.clone()) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let now = args.timestamp.unwrap_or_else(unix_now);
    let id = args.id.clone().unwrap_or_else(|| match scheme.name() {
        "stripe" => random_id().replacen("msg_", "evt_", 1),
        _ => random_id(),
    });
    let event_type =
        args.event_type.clone().unwrap_or_else(|| if scheme.name().starts_with("github") { "ping" } else { "hookverify.test" }.into());
    let body = match &args.body_file {
        Some(path) => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return usage_error(&format!("cannot read {}: {e}", path.display())),
        },
        None => {
            let data: Value = match serde_json::from_str(args.data.as_deref().unwrap_or("{}")) {
                Ok(v) => v,
                Err(e) => return usage_error(&format!("--data is not JSON: {e}")),
            };
            serde_json::to_vec(&envelope(&scheme, &id, &event_type, now, data)).expect("JSON values serialize")
        }
    };
    let mut headers = match signer.sign_request(&body, Some(&id), Some(now), &RequestTarget::new(Some(&args.url), Some("POST"))) {
        Ok(h) => h,
        Err(e) => return usage_error(&e.to_string()),
    };
    for (name, value) in signer.envelope_headers(Some(&id), Some(&event_type)) {
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            headers.push((name, value));
        }
    }
    let json_body = serde_json::from_slice::<Value>(&body).is_ok();
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(30))).build().into();
    let mut request = agent
        .post(&args.url)
        .header("Content-Type", if json_body { "application/json" } else { "application/octet-stream" })
        .header("User-Agent", format!("hookverify/{}", hookverify::VERSION));
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    eprintln!("hookverify: POST {} ({} event {id}, type {event_type}, {} bytes)", args.url, scheme.name(), body.len());
    match request.send(&body[..]) {
        Ok(mut response) => {
            let status = response.status();
            let text = response.body_mut().read_to_string().unwrap_or_else(|e| format!("(unreadable response body: {e})"));
            println!("HTTP {} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
            if !text.is_empty() {
                println!("{text}");
            }
            if status.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("hookverify: POST {} failed: {e}", args.url);
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_envelope_writes_its_time_in_rfc3339() {
        let standard = Scheme::preset("standard").unwrap();
        let at = |t: i64| envelope(&standard, "m", "t", t, json!({}))["timestamp"].clone();
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn envelopes_per_scheme() {
        let data = json!({"user": "u_1"});
        let common = Scheme::from_json(r#"{"name":"g","signature_header":"X-Sig"}"#).unwrap();
        assert_eq!(
            envelope(&common, "e1", "t.x", 5, data.clone()).to_string(),
            r#"{"id":"e1","type":"t.x","created_at":5,"data":{"user":"u_1"}}"#
        );
        let stripe = Scheme::preset("stripe").unwrap();
        assert_eq!(envelope(&stripe, "evt", "a.b", 5, data.clone())["data"]["object"]["user"], "u_1");
        assert_eq!(envelope(&Scheme::preset("github").unwrap(), "d", "push", 5, data.clone()), data);
    }
}
