//! The example serves the stripe-dotnet fixture (independent signature) on loopback.

use std::io::{Read, Write};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_rejects_a_stale_stripe_replay() {
    let app = hookverify_example_axum::app("gh-secret", &["old", "webhook_secret"]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/providers/stripe_dotnet_event_test_signature.json"))
        .unwrap();
    let sig = "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7";
    // The fixture is from 2018: outside the 300 s window today, so the answer is the replay code.
    let (status, resp) = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "POST /webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nStripe-Signature: {sig}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        s.write_all(&body).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        (out.split(' ').nth(1).unwrap().parse::<u16>().unwrap(), out)
    })
    .await
    .unwrap();
    assert_eq!(status, 401, "{resp}");
    assert!(resp.contains("timestamp_too_old"), "{resp}");
}

/// HMAC-SHA256 hex computed by Python's standard library (independent of hookverify).
fn python_hmac_hex(key: &str, msg: &[u8]) -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import hmac,hashlib,sys; k=sys.argv[1].encode(); print(hmac.new(k, sys.stdin.buffer.read(), hashlib.sha256).hexdigest())",
            key,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(msg)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_runs_fresh_stripe_and_github_deliveries_once() {
    let app = hookverify_example_axum::app("gh-secret", &["old", "whsec_new"]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let body = format!(r#"{{"id":"evt_ex_1","object":"event","type":"invoice.paid","created":{now},"data":{{"object":{{}}}}}}"#);
    let stripe_sig = format!("t={now},v1={}", python_hmac_hex("whsec_new", format!("{now}.{body}").as_bytes()));
    let gh_body = r#"{"action":"opened","issue":{"number":7}}"#.to_string();
    let gh_sig = format!("sha256={}", python_hmac_hex("gh-secret", gh_body.as_bytes()));
    let send = move |headers: Vec<(String, String)>, body: String| {
        tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            let mut req = format!(
                "POST /webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nHookverify-Sync: true\r\nContent-Length: {}\r\n",
                body.len()
            );
            for (k, v) in headers {
                req.push_str(&format!("{k}: {v}\r\n"));
            }
            s.write_all(format!("{req}\r\n{body}").as_bytes()).unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        })
    };
    let stripe = vec![("Stripe-Signature".to_string(), stripe_sig)];
    let first = send(stripe.clone(), body.clone()).await.unwrap();
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    let dup = send(stripe, body).await.unwrap();
    assert!(dup.starts_with("HTTP/1.1 200") && dup.contains("duplicate"), "{dup}");
    let gh = vec![
        ("X-Hub-Signature-256".to_string(), gh_sig),
        ("X-GitHub-Event".to_string(), "issues".to_string()),
        ("X-GitHub-Delivery".to_string(), "72d3162e-cc78-11e3-81ab-4c9367dc0958".to_string()),
    ];
    let out = send(gh, gh_body).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
}
