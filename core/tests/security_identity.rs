//! What identifies a delivery (issue 16, items 1–3).
//!
//! 1. Schemes with header aliases (Standard Webhooks `webhook-*` / Svix `svix-*`): every field taken
//!    from a header is read from the header set that verified the request; the other set's headers
//!    are never read, so an added unsigned `webhook-id` changes neither the event id, nor the event
//!    timestamp, nor the dedup key.
//! 2. The dedup key never depends on the request path (`/webhooks`, `/WEBHOOKS`, `/webhooks/`, a
//!    sub-path of a mount): namespace by provider, plus an optional configured endpoint name.
//! 3. Schemes whose event id is not signed (GitHub, Shopify): the dedup key is a digest of the
//!    signed content, so a captured body replayed under a fresh delivery id is a duplicate, while
//!    the handler still sees the header's id.
//!
//! Signatures are computed with the `hmac`/`sha2` crates directly, never with hookverify's signer;
//! the expected digest keys are computed here with `sha2` from the documented formula.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use hookverify::dedup::content_key;
use hookverify::scheme::{DedupBasis, SignatureFormat};
use hookverify::{MemoryStore, Mode, Provider, Receiver, Request, Scheme, Step, Store, Verifier};
use sha2::Digest as _;

type Headers = Vec<(String, String)>;

const NOW: i64 = 1_700_000_000;
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET: &str = "It's a Secret to Everybody";

fn mac256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn h(pairs: &[(&str, &str)]) -> Headers {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The sha256 hex of `provider` NUL `signed_id` NUL `body`, as spec/schemes.md documents it.
fn expected_digest(provider: &str, signed_id: &str, body: &[u8]) -> String {
    let mut d = sha2::Sha256::new();
    d.update(provider.as_bytes());
    d.update([0u8]);
    d.update(signed_id.as_bytes());
    d.update([0u8]);
    d.update(body);
    format!("sha256:{}", hex::encode(d.finalize()))
}

/// A sync receiver for one provider whose every handler run is counted.
fn receiver(name: &str, scheme: &str, secret: &str, store: Box<dyn Store>) -> Receiver<()> {
    let verifier = Verifier::new(Scheme::preset(scheme).unwrap(), [secret]).unwrap();
    let mut r = Receiver::new(vec![Provider::new(name, verifier)], store).unwrap();
    r.on("*", ()).mode(Mode::Sync);
    r
}

/// Outcome of one request: `Ok((event id, key))` when the handler ran (and succeeded), else the
/// answer's status and body.
fn deliver(r: &Receiver<()>, runs: &AtomicUsize, path: &str, headers: &Headers, body: &[u8]) -> Result<(String, String), (u16, String)> {
    match r.begin(Request { method: "POST", path, headers, body, now: NOW }) {
        Step::Respond(d) => Err((d.status, d.body)),
        Step::Run(d) => {
            runs.fetch_add(1, Ordering::SeqCst);
            assert_eq!(r.finish(&d, true).status, 200);
            Ok((d.event.id.clone(), d.key.clone()))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Header sets
// ---------------------------------------------------------------------------------------------

/// One header set of a list-format preset: its names, and a delivery signed with them.
struct SetNames {
    signature: String,
    timestamp: String,
    id: String,
}

fn sets_of(scheme: &Scheme) -> Vec<SetNames> {
    let spec = scheme.spec();
    let mut sets = vec![SetNames {
        signature: spec.signature_header.clone(),
        timestamp: spec.timestamp_header.clone().unwrap(),
        id: spec.id_header.clone().unwrap(),
    }];
    for a in &spec.header_aliases {
        sets.push(SetNames {
            signature: a.signature_header.clone(),
            timestamp: a.timestamp_header.clone().unwrap(),
            id: a.id_header.clone().unwrap(),
        });
    }
    sets
}

/// Headers of `set` for a Standard-Webhooks-style delivery (`{id}.{timestamp}.{body}`, list format,
/// base64, whsec secret), signed with the hmac crate.
fn signed_with(set: &SetNames, id: &str, ts: i64, body: &[u8]) -> Headers {
    let key = base64::engine::general_purpose::STANDARD.decode(&WHSEC["whsec_".len()..]).unwrap();
    let ts = ts.to_string();
    let sig = base64::engine::general_purpose::STANDARD.encode(mac256(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]));
    h(&[(&set.id, id), (&set.timestamp, &ts), (&set.signature, &format!("v1,{sig}"))])
}

/// Every preset with aliases (today: `standard` with `svix-*`), tested the same way.
fn presets_with_aliases() -> Vec<Scheme> {
    let with: Vec<Scheme> = Scheme::presets().into_iter().filter(|s| !s.spec().header_aliases.is_empty()).collect();
    assert!(!with.is_empty(), "standard has the svix-* aliases");
    for s in &with {
        // The helpers above sign Standard-Webhooks-style; a new alias preset of another shape needs its own.
        assert_eq!(
            (s.spec().signature_format, s.spec().signed_content.as_str()),
            (SignatureFormat::List, "{id}.{timestamp}.{body}"),
            "{}",
            s.name()
        );
    }
    with
}

/// A body without `/id` or `/timestamp`, so id and timestamp can only come from headers.
const HEADER_ONLY_BODY: &[u8] = br#"{"type":"user.created","data":{"n":1}}"#;

#[test]
fn verify_reads_id_and_timestamp_from_the_verified_set_only() {
    for scheme in presets_with_aliases() {
        let sets = sets_of(&scheme);
        let v = Verifier::new(scheme.clone(), [WHSEC]).unwrap();
        for (i, verified) in sets.iter().enumerate() {
            for (j, other) in sets.iter().enumerate().filter(|(j, _)| *j != i) {
                let mut headers = signed_with(verified, "msg_signed", NOW, HEADER_ONLY_BODY);
                // The other set's id and timestamp: unsigned, attacker-chosen.
                headers.push((other.id.clone(), "attacker-id".into()));
                headers.push((other.timestamp.clone(), (NOW - 100_000).to_string()));
                let case = format!("{}: set {i} verified, set {j}'s id/timestamp added", scheme.name());
                let sig = v.verify_signature_at(HEADER_ONLY_BODY, &headers, NOW).unwrap_or_else(|e| panic!("{case}: {e}"));
                let event = v.verify_at(HEADER_ONLY_BODY, &headers, NOW).unwrap();
                assert_eq!(sig.header_set, i, "{case}");
                assert_eq!(event.id, "msg_signed", "{case}");
                assert_eq!(event.timestamp, Some(NOW), "{case}");
            }
        }
    }
}

#[test]
fn svix_delivery_with_added_webhook_id_is_one_delivery() {
    for scheme in presets_with_aliases() {
        let sets = sets_of(&scheme);
        for (i, set) in sets.iter().enumerate() {
            let runs = AtomicUsize::new(0);
            let r = receiver("std", scheme.name(), WHSEC, Box::new(MemoryStore::default()));
            let genuine = signed_with(set, "msg_svix_1", NOW, HEADER_ONLY_BODY);
            let (id, key) = deliver(&r, &runs, "/hooks", &genuine, HEADER_ONLY_BODY).unwrap();
            assert_eq!((id.as_str(), key.as_str()), ("msg_svix_1", "|std|msg_svix_1"), "set {i}");
            for (j, other) in sets.iter().enumerate().filter(|(j, _)| *j != i) {
                for n in 0..3 {
                    let mut replay = genuine.clone();
                    replay.push((other.id.clone(), format!("replay-{n}")));
                    replay.push((other.timestamp.clone(), (NOW + n).to_string()));
                    let (status, body) = deliver(&r, &runs, "/hooks", &replay, HEADER_ONLY_BODY).unwrap_err();
                    assert_eq!(status, 200, "set {i} + set {j} id replay-{n}: {body}");
                    assert!(body.contains(r#""duplicate":true"#) && body.contains(r#""id":"msg_svix_1""#), "{body}");
                }
            }
            assert_eq!(runs.load(Ordering::SeqCst), 1, "{}: set {i}: the handler ran once", scheme.name());
        }
    }
}

#[test]
fn a_custom_spec_naming_only_the_main_headers_reads_the_alias_set_when_it_verified() {
    // The envelope names only `A-Id` / `A-Ts`; a request verified with the `B-*` alias reads B's.
    let scheme = Scheme::from_json(
        r#"{"name":"ab","signature_header":"A-Sig","timestamp_header":"A-Ts","id_header":"A-Id",
            "signature_format":"list","encoding":"base64","secret_encoding":"whsec",
            "signed_content":"{id}.{timestamp}.{body}",
            "header_aliases":[{"signature_header":"B-Sig","timestamp_header":"B-Ts","id_header":"B-Id"}],
            "event":{"id":{"header":"A-Id"},"type":"/type","timestamp":{"header":"A-Ts"},"data":"/data"}}"#,
    )
    .unwrap();
    assert_eq!(scheme.dedup_basis(), DedupBasis::SignedId);
    let b = SetNames { signature: "B-Sig".into(), timestamp: "B-Ts".into(), id: "B-Id".into() };
    let mut headers = signed_with(&b, "b-1", NOW, HEADER_ONLY_BODY);
    headers.extend(h(&[("A-Id", "forged"), ("A-Ts", "1")]));
    let event = Verifier::new(scheme, [WHSEC]).unwrap().verify_at(HEADER_ONLY_BODY, &headers, NOW).unwrap();
    assert_eq!((event.id.as_str(), event.timestamp), ("b-1", Some(NOW)));
}

// ---------------------------------------------------------------------------------------------
// 2. The dedup key does not depend on the path
// ---------------------------------------------------------------------------------------------

fn stripe_delivery() -> (Headers, Vec<u8>) {
    let body = br#"{"id":"evt_1","type":"invoice.paid","created":1700000000,"data":{"object":{}}}"#.to_vec();
    let ts = NOW.to_string();
    let sig = hex::encode(mac256(b"whsec_stripe", &[ts.as_bytes(), b".", &body]));
    (h(&[("Stripe-Signature", &format!("t={ts},v1={sig}"))]), body)
}

const SPELLINGS: &[&str] =
    &["/webhooks", "/WEBHOOKS", "/Webhooks", "/webhooks/", "/webhooks?x=1", "/webhooks/sub/a", "/webhooks/sub/b?y", ""];

#[test]
fn one_delivery_under_many_path_spellings_runs_once() {
    let (headers, body) = stripe_delivery();
    let runs = AtomicUsize::new(0);
    let r = receiver("stripe", "stripe", "whsec_stripe", Box::new(MemoryStore::default()));
    let (_, key) = deliver(&r, &runs, SPELLINGS[0], &headers, &body).unwrap();
    assert_eq!(key, "|stripe|evt_1");
    for path in &SPELLINGS[1..] {
        let (status, answer) = deliver(&r, &runs, path, &headers, &body).unwrap_err();
        assert_eq!(status, 200, "{path}: {answer}");
        assert!(answer.contains(r#""duplicate":true"#), "{path}: {answer}");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[test]
fn the_namespace_names_an_endpoint_in_a_shared_store() {
    let (headers, body) = stripe_delivery();
    let store = Arc::new(MemoryStore::default());
    let runs = AtomicUsize::new(0);
    let mut billing = receiver("stripe", "stripe", "whsec_stripe", Box::new(store.clone()));
    billing.namespace("billing");
    let mut shop = receiver("stripe", "stripe", "whsec_stripe", Box::new(store.clone()));
    shop.namespace("shop");
    let mut shop_again = receiver("stripe", "stripe", "whsec_stripe", Box::new(store.clone()));
    shop_again.namespace("shop");
    assert_eq!(deliver(&billing, &runs, "/a", &headers, &body).unwrap().1, "billing|stripe|evt_1");
    assert_eq!(deliver(&shop, &runs, "/b", &headers, &body).unwrap().1, "shop|stripe|evt_1");
    // The same endpoint name under another path and another receiver: one delivery.
    assert_eq!(deliver(&shop_again, &runs, "/B/", &headers, &body).unwrap_err().0, 200);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------------------------------------
// 3. Unsigned ids
// ---------------------------------------------------------------------------------------------

#[test]
fn dedup_basis_per_preset() {
    let basis: Vec<(String, DedupBasis)> = Scheme::presets().iter().map(|s| (s.name().to_owned(), s.dedup_basis())).collect();
    let expect = [
        ("standard", DedupBasis::SignedId),
        ("stripe", DedupBasis::SignedId),
        ("github", DedupBasis::Digest),
        ("github-sha1", DedupBasis::Digest),
        ("slack", DedupBasis::SignedId),
        ("shopify", DedupBasis::Digest),
        ("calendly", DedupBasis::Configured { signed: true }),
        ("intercom", DedupBasis::SignedId),
        ("quickbooks", DedupBasis::SignedId),
        ("razorpay", DedupBasis::Digest),
        ("sentry", DedupBasis::Digest),
        ("typeform", DedupBasis::SignedId),
        ("woocommerce", DedupBasis::Digest),
        // The presets of the engine extensions (issue 19): tests/vectors/presets.json says why.
        ("paddle", DedupBasis::SignedId),
        ("box", DedupBasis::SignedId),
        ("docusign", DedupBasis::SignedId),
        ("gitlab", DedupBasis::Digest),
        ("telegram", DedupBasis::SignedId),
        ("okta", DedupBasis::SignedId),
        ("lemonsqueezy", DedupBasis::Digest),
        ("xero", DedupBasis::Digest),
        ("zoom", DedupBasis::Digest),
        ("meta", DedupBasis::Digest),
        ("linear", DedupBasis::Digest),
        ("mailgun", DedupBasis::Configured { signed: true }),
        ("zendesk", DedupBasis::Digest),
        ("sanity", DedupBasis::Digest),
        // Senders that sign the request URL (issue 19, item 2).
        ("twilio", DedupBasis::Digest),
        ("square", DedupBasis::SignedId),
        ("hubspot", DedupBasis::SignedId),
        ("trello", DedupBasis::SignedId),
        // Public-key signatures (issue 19, item 3).
        ("discord", DedupBasis::SignedId),
        ("sendgrid", DedupBasis::Digest),
        // The catalog's second slice (issue 19, item 6): unsigned id headers (bitbucket, jira) or
        // none sent (cal) key on the digest; the others sign their id (body, or Twitch's id header).
        ("pagerduty", DedupBasis::SignedId),
        ("vercel", DedupBasis::SignedId),
        ("bitbucket", DedupBasis::Digest),
        ("jira", DedupBasis::Digest),
        ("twitch", DedupBasis::SignedId),
        ("mollie", DedupBasis::SignedId),
        ("cal", DedupBasis::Digest),
        ("postmark", DedupBasis::SignedId),
    ];
    assert_eq!(basis, expect.map(|(n, b)| (n.to_owned(), b)));
}

fn github_headers(sig_header: &str, sig: String, delivery: &str, event: &str) -> Headers {
    h(&[(sig_header, &sig), ("X-GitHub-Delivery", delivery), ("X-GitHub-Event", event)])
}

#[test]
fn github_replays_with_fresh_delivery_ids_are_duplicates() {
    let body = br#"{"action":"opened","issue":{"number":7}}"#;
    let sha256 = format!("sha256={}", hex::encode(mac256(SECRET.as_bytes(), &[body])));
    let sha1 = {
        let mut m = Hmac::<sha1::Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
        m.update(body);
        format!("sha1={}", hex::encode(m.finalize().into_bytes()))
    };
    for (preset, header, sig) in [("github", "X-Hub-Signature-256", sha256), ("github-sha1", "X-Hub-Signature", sha1)] {
        let runs = AtomicUsize::new(0);
        let r = receiver("gh", preset, SECRET, Box::new(MemoryStore::default()));
        let (id, key) = deliver(&r, &runs, "/hooks", &github_headers(header, sig.clone(), "d-genuine", "issues"), body).unwrap();
        // The handler still sees GitHub's delivery id; the key is the digest of the signed body.
        assert_eq!(id, "d-genuine", "{preset}");
        assert_eq!(key, format!("|gh|{}", expected_digest("gh", "", body)), "{preset}");
        assert_eq!(key, format!("|gh|{}", content_key("gh", None, body)));
        for n in 0..3 {
            let fresh = format!("d-replay-{n}");
            let (status, answer) = deliver(&r, &runs, "/hooks", &github_headers(header, sig.clone(), &fresh, "issues"), body).unwrap_err();
            assert_eq!(status, 200, "{preset}: {answer}");
            // The answer names the id this request carried.
            assert!(answer.contains(r#""duplicate":true"#) && answer.contains(&fresh), "{preset}: {answer}");
        }
        // Another (unsigned) event type header with the same signed body: still the same delivery.
        let (status, _) = deliver(&r, &runs, "/hooks", &github_headers(header, sig, "d-member", "member"), body).unwrap_err();
        assert_eq!(status, 200);
        assert_eq!(runs.load(Ordering::SeqCst), 1, "{preset}: the handler ran once");
    }
}

#[test]
fn shopify_replays_with_fresh_webhook_ids_are_duplicates() {
    let body = br#"{"id":820982911946154508,"email":"jon@example.com"}"#;
    let sig = base64::engine::general_purpose::STANDARD.encode(mac256(b"shpss", &[body]));
    let headers = |id: &str| h(&[("X-Shopify-Hmac-Sha256", &sig), ("X-Shopify-Webhook-Id", id), ("X-Shopify-Topic", "orders/create")]);
    let runs = AtomicUsize::new(0);
    let r = receiver("shopify", "shopify", "shpss", Box::new(MemoryStore::default()));
    let (id, key) = deliver(&r, &runs, "/hooks", &headers("b54557e4"), body).unwrap();
    assert_eq!((id.as_str(), key), ("b54557e4", format!("|shopify|{}", expected_digest("shopify", "", body))));
    for n in 0..3 {
        assert_eq!(deliver(&r, &runs, "/hooks", &headers(&format!("fresh-{n}")), body).unwrap_err().0, 200);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // A different signed body is a different delivery.
    let other = br#"{"id":820982911946154509}"#;
    let other_sig = base64::engine::general_purpose::STANDARD.encode(mac256(b"shpss", &[other]));
    let oh = h(&[("X-Shopify-Hmac-Sha256", &other_sig), ("X-Shopify-Webhook-Id", "b54557e4"), ("X-Shopify-Topic", "orders/create")]);
    assert!(deliver(&r, &runs, "/hooks", &oh, other).is_ok());
}

#[test]
fn digest_keys_include_a_signed_id_and_leave_out_the_timestamp() {
    // A custom scheme signing id and timestamp whose event id comes from another, unsigned header:
    // the digest covers the signed id, not the timestamp (a sender's retry is re-signed with a new one).
    let scheme = Scheme::from_json(
        r#"{"name":"c","signature_header":"C-Sig","timestamp_header":"C-Ts","id_header":"C-Id",
            "signature_format":"list","encoding":"base64","secret_encoding":"whsec",
            "signed_content":"{id}.{timestamp}.{body}",
            "event":{"id":{"header":"C-Event"},"type":"/type","timestamp":null,"data":"/data"}}"#,
    )
    .unwrap();
    assert_eq!(scheme.dedup_basis(), DedupBasis::Digest);
    let mut r = Receiver::new(vec![Provider::new("c", Verifier::new(scheme, [WHSEC]).unwrap())], Box::new(MemoryStore::default())).unwrap();
    r.on("*", ()).mode(Mode::Sync);
    let set = SetNames { signature: "C-Sig".into(), timestamp: "C-Ts".into(), id: "C-Id".into() };
    let runs = AtomicUsize::new(0);
    let send = |id: &str, ts: i64, event: &str| {
        let mut headers = signed_with(&set, id, ts, HEADER_ONLY_BODY);
        headers.push(("C-Event".into(), event.into()));
        deliver(&r, &runs, "/c", &headers, HEADER_ONLY_BODY)
    };
    let (event_id, key) = send("m-1", NOW, "e-1").unwrap();
    assert_eq!((event_id.as_str(), key), ("e-1", format!("|c|{}", expected_digest("c", "m-1", HEADER_ONLY_BODY))));
    assert!(send("m-1", NOW + 60, "e-2").is_err(), "a retry with a new timestamp and another unsigned id is a duplicate");
    assert!(send("m-2", NOW, "e-1").is_ok(), "another signed id is another delivery");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[test]
fn an_explicit_unsigned_dedup_key_is_honoured_and_reported_as_unsigned() {
    let mut spec = serde_json::to_value(Scheme::preset("github").unwrap().spec()).unwrap();
    spec["dedup_key"] = serde_json::json!({"header": "X-GitHub-Delivery"});
    let scheme = Scheme::from_json(&spec.to_string()).unwrap();
    assert_eq!(scheme.dedup_basis(), DedupBasis::Configured { signed: false });
    let signed = Scheme::from_json(r#"{"name":"p","signature_header":"S","dedup_key":"/data/id"}"#).unwrap();
    assert_eq!(signed.dedup_basis(), DedupBasis::Configured { signed: true });
    let body = br#"{"action":"opened"}"#;
    let sig = format!("sha256={}", hex::encode(mac256(SECRET.as_bytes(), &[body])));
    let mut r =
        Receiver::new(vec![Provider::new("gh", Verifier::new(scheme, [SECRET]).unwrap())], Box::new(MemoryStore::default())).unwrap();
    r.on("*", ()).mode(Mode::Sync);
    let runs = AtomicUsize::new(0);
    let headers = |d: &str| github_headers("X-Hub-Signature-256", sig.clone(), d, "issues");
    assert_eq!(deliver(&r, &runs, "/", &headers("d-1"), body).unwrap().1, "|gh|d-1");
    assert_eq!(deliver(&r, &runs, "/", &headers("d-1"), body).unwrap_err().0, 200);
    assert_eq!(deliver(&r, &runs, "/", &headers("d-2"), body).unwrap().1, "|gh|d-2", "the operator chose the unsigned id");
}

/// axum over loopback: one Stripe delivery at `/webhooks`, `/webhooks?x=1`, `/WEBHOOKS`,
/// `/webhooks/` and a sub-path, all routed to one `Webhooks`: the handler runs once.
#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_one_delivery_under_many_routes_runs_once() {
    use hookverify::axum::{Context, Webhooks};
    use std::io::{Read, Write};

    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let verifier = Verifier::new(Scheme::preset("stripe").unwrap(), ["whsec_stripe"]).unwrap();
    let hooks = Webhooks::new(vec![Provider::new("stripe", verifier)], MemoryStore::default()).unwrap().mode(Mode::Sync).on(
        "*",
        move |_: Context| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        },
    );
    let route = hooks.into_method_router();
    let app = axum::Router::new()
        .route("/webhooks", route.clone())
        .route("/WEBHOOKS", route.clone())
        .route("/webhooks/", route.clone())
        .route("/webhooks/{*rest}", route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let now = hookverify::unix_now().to_string();
    let body = br#"{"id":"evt_axum","type":"invoice.paid","created":1700000000,"data":{"object":{}}}"#;
    let sig = hex::encode(mac256(b"whsec_stripe", &[now.as_bytes(), b".", body]));
    let mut answers = Vec::new();
    for path in ["/webhooks", "/webhooks?x=1", "/WEBHOOKS", "/webhooks/", "/webhooks/sub/a"] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nStripe-Signature: t={now},v1={sig}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let answer = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(request.as_bytes()).unwrap();
            s.write_all(body).unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        })
        .await
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
        answers.push(answer);
    }
    server.abort();
    assert!(answers[1..].iter().all(|a| a.contains(r#""duplicate":true"#)), "{answers:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}
