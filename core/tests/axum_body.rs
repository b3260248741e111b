//! How the axum route reads a body: the cap (declared or streamed) answered with the core's
//! `payload_too_large` JSON, and the body deadline. Real HTTP on loopback via `axum::serve`.
#![cfg(feature = "axum")]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hookverify::axum::{Context, Webhooks};
use hookverify::{Decision, Error, MemoryStore, Provider, Scheme, Verifier};

const CAP: usize = 1024;

async fn serve(body_timeout: Option<Duration>) -> u16 {
    let verifier = Verifier::builder(Scheme::preset("github").unwrap()).secret("s").max_body_bytes(CAP).build().unwrap();
    let hooks = Webhooks::new(vec![Provider::new("github", verifier)], MemoryStore::default())
        .unwrap()
        .on("*", |_ctx: Context| async move { Ok(()) })
        .body_timeout(body_timeout);
    support::serve(axum::Router::new().route("/webhooks", hooks.into_method_router())).await
}

/// Sends `request` and reads until the server closes (a reset after the answer keeps what was
/// read) or `wait` passes: (answer text, closed, elapsed).
fn exchange(port: u16, request: Vec<u8>, wait: Duration) -> (String, bool, Duration) {
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(&request).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => break false,
            Err(_) => break true,
        }
    };
    (String::from_utf8_lossy(&raw).into_owned(), closed, start.elapsed())
}

fn head(size_line: &str) -> String {
    format!("POST /webhooks HTTP/1.1\r\nHost: localhost\r\n{size_line}\r\nX-Hub-Signature-256: sha256={}\r\n\r\n", "0".repeat(64))
}

/// The answer is the core's decision for `payload_too_large`, byte for byte, and closes the connection.
fn assert_core_413(answer: &str, size: usize) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    assert!(head.starts_with("HTTP/1.1 413"), "{answer}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    assert_eq!(body, Decision::from_error(&Error::PayloadTooLarge { size, limit: CAP }).body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_cap_is_the_cores_413() {
    let port = serve(None).await;
    let r = tokio::task::spawn_blocking(move || {
        // Declared and sent.
        let mut req = head(&format!("Content-Length: {}", CAP + 1)).into_bytes();
        req.extend(std::iter::repeat_n(b' ', CAP + 1));
        let (answer, _, _) = exchange(port, req, Duration::from_secs(5));
        assert_core_413(&answer, CAP + 1);
        // Declared (10^12) and never sent: answered at once.
        let (answer, closed, elapsed) = exchange(port, head("Content-Length: 1000000000000").into_bytes(), Duration::from_secs(5));
        assert_core_413(&answer, 1_000_000_000_000);
        assert!(closed && elapsed < Duration::from_secs(2), "{elapsed:?}");
        // Chunked, never finished: answered at the chunk that passes the cap.
        let mut req = head("Transfer-Encoding: chunked").into_bytes();
        req.extend_from_slice(format!("300\r\n{}\r\n300\r\n{}\r\n", "a".repeat(0x300), "b".repeat(0x300)).as_bytes());
        let (answer, closed, elapsed) = exchange(port, req, Duration::from_secs(5));
        assert_core_413(&answer, 2 * 0x300);
        assert!(closed && elapsed < Duration::from_secs(2), "{elapsed:?}");
        // At the cap, in several chunks: read whole, then refused by the signature (401).
        let mut req = head("Transfer-Encoding: chunked").into_bytes();
        req.extend_from_slice(format!("200\r\n{0}\r\n200\r\n{0}\r\n0\r\n\r\n", "c".repeat(0x200)).as_bytes());
        let (answer, _, _) = exchange(port, req, Duration::from_secs(5));
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(answer.contains("no_matching_signature"), "{answer}");
    });
    r.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_gets_408_at_the_deadline() {
    let port = serve(Some(Duration::from_millis(500))).await;
    let r = tokio::task::spawn_blocking(move || {
        let mut req = head("Content-Length: 100").into_bytes();
        req.extend_from_slice(b"{\"partial\":");
        let (answer, closed, elapsed) = exchange(port, req, Duration::from_secs(5));
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
        assert!(closed && elapsed < Duration::from_secs(3), "{elapsed:?}");
    });
    r.await.unwrap();
}
