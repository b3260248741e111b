//! Issue 16, item 13 (the log half): a rejected delivery's answer tells the sender only the public
//! message, and the operator's record of it — [`Decision::log`], which every front end logs — keeps
//! the detail: how many secrets were tried, which headers each provider expects, the Redis error.
//! Never a secret, never the Redis password, never a raw control character.
//!
//! Signatures are computed with the `hmac`/`sha2` crates directly, not with hookverify.

use hmac::{Hmac, Mac};
use hookverify::dedup::MemoryStore;
use hookverify::receiver::{Decision, Provider, Receiver, Request, Step};
use hookverify::{log_safe, Error, Scheme, Verifier};

const NOW: i64 = 1_700_000_000;
const SECRET: &str = "whsec_QZlogCANARYsecret0123456789";
const SECOND: &str = "whsec_QZlogCANARYsecond987654321";
const BODY: &[u8] = br#"{"id":"evt_log_1","type":"invoice.paid","created":1700000000,"data":{}}"#;

fn stripe_header(secret: &str, body: &[u8]) -> String {
    stripe_header_at(secret, body, NOW)
}

fn stripe_header_at(secret: &str, body: &[u8], t: i64) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

fn receiver(store: Box<dyn hookverify::dedup::Store>) -> Receiver<&'static str> {
    let stripe = Verifier::new(Scheme::preset("stripe").unwrap(), [SECRET, SECOND]).unwrap();
    let github = Verifier::new(Scheme::preset("github").unwrap(), [SECRET]).unwrap();
    let mut r = Receiver::new(vec![Provider::new("stripe", stripe), Provider::new("github", github)], store).unwrap();
    r.on("*", "h");
    r
}

fn respond(r: &Receiver<&'static str>, headers: &[(&str, String)], body: &[u8]) -> Decision {
    match r.begin(Request { method: "POST", path: "/hooks", headers, body, now: NOW }) {
        Step::Respond(d) => d,
        Step::Run(_) => panic!("expected an answer"),
    }
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains("QZlogCANARY"), "a secret leaked: {text}");
}

#[test]
fn a_401_no_matching_signature_logs_how_many_secrets_were_tried() {
    let r = receiver(Box::new(MemoryStore::default()));
    let wrong = stripe_header("whsec_not_a_live_secret", BODY);
    let d = respond(&r, &[("Stripe-Signature", wrong)], BODY);
    assert_eq!(d.status, 401);
    assert!(!d.body.contains("secret(s)") && !d.body.contains("against"), "{}", d.body);
    let log = d.log.as_deref().expect("a rejected delivery carries its log line");
    assert!(log.starts_with("rejected delivery: code=no_matching_signature status=401 provider=stripe: "), "{log}");
    assert!(log.contains("1 signature(s) in Stripe-Signature checked against 2 secret(s)"), "{log}");
    assert_no_secret(log);
    assert_no_secret(&d.body);
}

#[test]
fn a_401_without_any_provider_header_logs_every_providers_header() {
    let r = receiver(Box::new(MemoryStore::default()));
    let d = respond(&r, &[("X-Other", "x".into())], BODY);
    assert_eq!(d.status, 401);
    assert!(!d.body.contains("Stripe-Signature"), "{}", d.body);
    let log = d.log.as_deref().unwrap();
    assert!(log.starts_with("rejected delivery: code=missing_header status=401: "), "no provider matched: {log}");
    assert!(log.contains("Stripe-Signature or X-Hub-Signature-256"), "{log}");
}

#[test]
fn answers_that_are_not_rejections_carry_no_log_line() {
    let r = receiver(Box::new(MemoryStore::default()));
    let Step::Run(delivery) = r.begin(Request {
        method: "POST",
        path: "/hooks",
        headers: &[("Stripe-Signature", stripe_header(SECOND, BODY))][..],
        body: BODY,
        now: NOW,
    }) else {
        panic!("a valid delivery runs")
    };
    assert_eq!(r.accepted(&delivery).log, None);
    assert_eq!(r.finish(&delivery, true).log, None);
    let dup = respond(&r, &[("Stripe-Signature", stripe_header(SECOND, BODY))], BODY);
    assert_eq!((dup.status, dup.log), (200, None), "a duplicate is not a rejection");
}

#[test]
fn request_text_in_a_log_line_has_no_raw_control_characters() {
    assert_eq!(log_safe("plain é 😀"), "plain é 😀");
    assert!(matches!(log_safe("plain"), std::borrow::Cow::Borrowed(_)));
    assert_eq!(log_safe("a\x1b[31mb\r\nc\td\x7f\u{85}e\u{2028}f\u{2029}"), r"a\x1b[31mb\x0d\x0ac\x09d\x7f\x85e\u2028f\u2029");
    let err = Error::MalformedHeader { header: "X-Id".into(), reason: "forged\nhookverify: accepted\x1b[0m".into() };
    let line = err.log_line(Some("git\nhub"));
    assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
    assert!(line.contains(r"provider=git\x0ahub") && line.contains(r"forged\x0ahookverify: accepted\x1b[0m"), "{line}");
    // A body with control characters before the JSON breaks: the whole line stays one line.
    let r = receiver(Box::new(MemoryStore::default()));
    let body = b"\x1b]0;owned\x07\n{";
    let d = respond(&r, &[("Stripe-Signature", stripe_header(SECRET, body))], body);
    assert_eq!(d.status, 400, "{}", d.body);
    assert!(!d.log.as_deref().unwrap().chars().any(|c| c.is_control()), "{:?}", d.log);
}

#[cfg(feature = "redis")]
mod redis_store {
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use super::*;
    use hookverify::dedup::RedisStore;

    const PASSWORD: &str = "QZredisCANARYpassword42";

    /// A password-protected redis-server on a free loopback port, killed by pid on drop.
    struct Locked(Child, u16);

    impl Drop for Locked {
        fn drop(&mut self) {
            self.0.kill().ok();
            self.0.wait().ok();
        }
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    fn locked_redis() -> Locked {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", PASSWORD])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        let server = Locked(child, port);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
        server
    }

    fn store_unavailable(url: &str) -> Decision {
        let store = RedisStore::with_options(url, "t:", Duration::from_millis(500)).unwrap();
        let r = receiver(Box::new(store));
        let d = respond(&r, &[("Stripe-Signature", stripe_header(SECOND, BODY))], BODY);
        assert_eq!(d.status, 503, "{}", d.body);
        d
    }

    fn check(d: &Decision, detail: &str) {
        let public =
            r#"{"error":{"code":"store_unavailable","message":"dedup store unavailable: the delivery was not processed; retry later"}}"#;
        assert_eq!(d.body, public, "the 503 body carries no Redis text");
        let log = d.log.as_deref().unwrap();
        assert!(
            log.starts_with("rejected delivery: code=store_unavailable status=503 provider=stripe: dedup store unavailable: redis: "),
            "{log}"
        );
        assert!(log.contains(detail), "the log keeps the Redis error ({detail}): {log}");
        assert!(!log.contains(PASSWORD) && !log.contains("QZredis"), "never the password: {log}");
        assert_no_secret(log);
    }

    #[test]
    fn a_503_for_a_wrong_redis_password_logs_the_redis_error_not_the_password() {
        let server = locked_redis();
        let d = store_unavailable(&format!("redis://:{PASSWORD}x@127.0.0.1:{}/0", server.1));
        check(&d, "AuthenticationFailed");
        let d = store_unavailable(&format!("redis://127.0.0.1:{}/0", server.1));
        check(&d, "NOAUTH");
    }

    #[test]
    fn a_503_for_an_unreachable_redis_logs_the_connection_error() {
        // A port nothing listens on (bound, then closed).
        let port = free_port();
        let d = store_unavailable(&format!("redis://:{PASSWORD}@127.0.0.1:{port}/0"));
        check(&d, "refused");
    }
}

#[cfg(feature = "axum")]
mod axum_route {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};

    use super::*;
    use hookverify::axum::Webhooks;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_axum_route_reports_each_rejected_delivery_once() {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = lines.clone();
        let stripe = Verifier::new(Scheme::preset("stripe").unwrap(), [SECRET, SECOND]).unwrap();
        let hooks = Webhooks::new(vec![Provider::new("stripe", stripe)], MemoryStore::default())
            .unwrap()
            .on("*", |_| async { Ok(()) })
            .on_reject(move |line| seen.lock().unwrap().push(line.to_owned()));
        let app = axum::Router::new().route("/webhooks", hooks.into_method_router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let status = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
            let sig = stripe_header_at("whsec_wrong", BODY, now);
            let head = format!(
                "POST /webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nStripe-Signature: {sig}\r\nContent-Length: {}\r\n\r\n",
                BODY.len()
            );
            s.write_all(head.as_bytes()).unwrap();
            s.write_all(BODY).unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            assert!(!out.contains("secret(s)"), "{out}");
            out.split(' ').nth(1).unwrap().to_owned()
        })
        .await
        .unwrap();
        assert_eq!(status, "401");
        let lines = lines.lock().unwrap().clone();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("rejected delivery: code=no_matching_signature status=401 provider=stripe: "), "{lines:?}");
        assert!(lines[0].contains("against 2 secret(s)"), "{lines:?}");
        assert_no_secret(&lines[0]);
    }
}
