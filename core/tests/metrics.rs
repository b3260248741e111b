//! The receiver's metrics (issue 21, part 5): every answer counted once under the right provider,
//! outcome and code, latencies in the histograms, and the Prometheus text well formed.
//!
//! Signatures are computed with the `hmac`/`sha2` crates directly, never with hookverify's signer.

use std::time::Duration;

use hmac::{Hmac, Mac};
use hookverify::dedup::MemoryStore;
use hookverify::metrics::{Outcome, RunOutcome, LATENCY_BUCKETS};
use hookverify::receiver::{Mode, Provider, Receiver, Request, Step};
use hookverify::{ErrorCode, Scheme, Verifier};

const NOW: i64 = 1_700_000_000;
const SECRET: &str = "reflex-secret";

fn receiver(mode: Mode) -> Receiver<&'static str> {
    let scheme = Scheme::from_json(r#"{"name":"reflex","signature_header":"X-Reflex-Signature"}"#).unwrap();
    let reflex = Provider::new("reflex", Verifier::new(scheme, [SECRET]).unwrap());
    let github = Provider::new("git\"hub", Verifier::new(Scheme::preset("github").unwrap(), ["gh"]).unwrap());
    let mut r = Receiver::new(vec![reflex, github], Box::new(MemoryStore::default())).unwrap();
    r.on("deployment.*", "deploy").mode(mode);
    r
}

fn signed(id: &str, kind: &str) -> (Vec<u8>, Vec<(String, String)>) {
    let body = format!(r#"{{"id":"{id}","type":"{kind}","created_at":{NOW},"data":{{}}}}"#).into_bytes();
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    m.update(&body);
    (body.clone(), vec![("X-Reflex-Signature".to_owned(), hex::encode(m.finalize().into_bytes()))])
}

fn begin(r: &Receiver<&'static str>, body: &[u8], headers: &[(String, String)]) -> Step {
    r.begin(Request { method: "POST", path: "/hooks", headers, body, now: NOW })
}

#[test]
fn every_answer_is_counted_once_under_its_outcome_and_code() {
    let r = receiver(Mode::Sync);
    // Handled, then its duplicate.
    let (body, headers) = signed("evt_1", "deployment.created");
    let Step::Run(d) = begin(&r, &body, &headers) else { panic!("expected a run") };
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(r.finish(&d, true).status, 200);
    let Step::Respond(dup) = begin(&r, &body, &headers) else { panic!("expected the duplicate answer") };
    assert_eq!(dup.status, 200);
    // A handler failure.
    let (body, headers) = signed("evt_2", "deployment.created");
    let Step::Run(d) = begin(&r, &body, &headers) else { panic!("expected a run") };
    assert_eq!(r.finish(&d, false).status, 500);
    // Unhandled type, bad signature, no provider header, declared length too large.
    let (body, headers) = signed("evt_3", "invoice.paid");
    assert!(matches!(begin(&r, &body, &headers), Step::Respond(d) if d.status == 200));
    let (body, _) = signed("evt_4", "deployment.created");
    let forged = vec![("X-Reflex-Signature".to_owned(), "00".repeat(32))];
    assert!(matches!(begin(&r, &body, &forged), Step::Respond(d) if d.status == 401));
    assert!(matches!(begin(&r, &body, &Vec::new()), Step::Respond(d) if d.status == 401));
    assert_eq!(r.too_large(u64::MAX).map(|d| d.status), Some(413));

    let s = r.metrics().snapshot();
    assert_eq!(s.count(Outcome::Handled), 1);
    assert_eq!(s.count(Outcome::Duplicate), 1);
    assert_eq!(s.count(Outcome::Failed), 1);
    assert_eq!(s.count(Outcome::Unhandled), 1);
    assert_eq!(s.count(Outcome::Rejected), 3);
    assert_eq!(s.count(Outcome::Accepted), 0);
    let find = |outcome, code| s.deliveries.iter().find(|x| x.outcome == outcome && x.code == code).unwrap();
    assert_eq!(find(Outcome::Rejected, Some(ErrorCode::NoMatchingSignature)).provider.as_deref(), Some("reflex"));
    // No provider matched a request without any signature header: no provider label.
    let missing = s
        .deliveries
        .iter()
        .find(|x| {
            x.outcome == Outcome::Rejected && x.code != Some(ErrorCode::NoMatchingSignature) && x.code != Some(ErrorCode::PayloadTooLarge)
        })
        .unwrap();
    assert_eq!(missing.provider, None);
    assert_eq!(find(Outcome::Failed, Some(ErrorCode::HandlerFailed)).latency.count, 1);
    // The handled delivery slept 2 ms between begin and finish: its latency says so.
    let handled = find(Outcome::Handled, None);
    assert!(handled.latency.sum_seconds >= 0.002, "{}", handled.latency.sum_seconds);
    assert_eq!(handled.latency.cumulative[LATENCY_BUCKETS.iter().position(|b| *b >= 0.001).unwrap()], 0);
    assert!(s.runs.is_empty(), "sync deliveries are not runs after an answer");
}

#[test]
fn async_counts_the_acknowledgement_then_the_run() {
    let r = receiver(Mode::Async);
    for (id, ok) in [("a", true), ("b", false)] {
        let (body, headers) = signed(id, "deployment.created");
        let Step::Run(d) = begin(&r, &body, &headers) else { panic!("expected a run") };
        assert_eq!(r.accepted(&d).status, 202);
        r.finish(&d, ok);
    }
    let s = r.metrics().snapshot();
    assert_eq!(s.count(Outcome::Accepted), 2);
    assert_eq!(s.count(Outcome::Handled) + s.count(Outcome::Failed), 0);
    let runs: Vec<(RunOutcome, u64)> = s.runs.iter().map(|x| (x.outcome, x.latency.count)).collect();
    assert_eq!(runs, vec![(RunOutcome::Done, 1), (RunOutcome::Failed, 1)]);
}

/// Each line is a comment, or `name{labels} value` in the text format; each histogram's `+Inf`
/// bucket equals its `_count`; label values are escaped.
#[test]
fn prometheus_text_is_well_formed() {
    let r = receiver(Mode::Sync);
    let (body, headers) = signed("evt_1", "deployment.created");
    let Step::Run(d) = begin(&r, &body, &headers) else { panic!("expected a run") };
    r.finish(&d, true);
    let gh = vec![("X-Hub-Signature-256".to_owned(), format!("sha256={}", "00".repeat(32)))];
    begin(&r, b"{}", &gh);
    let text = r.metrics().prometheus();
    let sample = regex_lite(&text);
    assert!(text.contains("hookverify_deliveries_total{provider=\"reflex\",outcome=\"handled\"} 1\n"), "{text}");
    assert!(
        text.contains("hookverify_deliveries_total{provider=\"git\\\"hub\",outcome=\"rejected\",code=\"no_matching_signature\"} 1\n"),
        "{text}"
    );
    assert!(text.contains("hookverify_delivery_duration_seconds_bucket{provider=\"reflex\",outcome=\"handled\",le=\"+Inf\"} 1\n"));
    assert!(text.contains("hookverify_delivery_duration_seconds_count{provider=\"reflex\",outcome=\"handled\"} 1\n"));
    assert!(sample > 20, "{sample} samples");
    assert!(!text.contains(SECRET) && !text.contains("/hooks"), "no secret, no request path");
}

/// Checks every line's shape by hand (no regex crate in the core's dev-dependencies); the number
/// of samples.
fn regex_lite(text: &str) -> usize {
    let mut samples = 0;
    for line in text.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        value.parse::<f64>().unwrap_or_else(|_| panic!("bad value: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(name.starts_with("hookverify_") && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
        if name_end < series.len() {
            assert!(series.ends_with('}'), "{line}");
        }
        samples += 1;
    }
    samples
}
