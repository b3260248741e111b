//! Counters and latency histograms of a receiver's deliveries (issue 21, part 5): by provider,
//! outcome and error code, readable as a [`Snapshot`] and rendered in the Prometheus text
//! exposition format ([`Metrics::prometheus`]) for `/metrics`.
//!
//! Every label value comes from the receiver's configuration or from a fixed set — a configured
//! provider's name, an [`Outcome`], an [`ErrorCode`] — never from the request (not the path, not
//! a header), so unauthenticated traffic cannot grow the number of series. Each possible series
//! has a fixed slot, allocated on first use: recording is an index computation, one acquire load
//! and three relaxed atomic adds, with no lock.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use serde::Serialize;

use crate::error::ErrorCode;

/// Upper bounds, in seconds, of the latency histograms' buckets (and `+Inf`).
pub const LATENCY_BUCKETS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How a delivery was answered: the `outcome` label of `hookverify_deliveries_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Sync: every handler succeeded (200).
    Handled,
    /// Async: acknowledged (202) before its handlers ran.
    Accepted,
    /// Verified, but no handler matched its type (the unhandled status).
    Unhandled,
    /// A copy of a delivery already done or in progress (200 / 409).
    Duplicate,
    /// Refused before any handler: the `code` label says why.
    Rejected,
    /// Sync: a handler failed (500, `handler_failed`).
    Failed,
}

/// How a handler run ended, after its delivery was answered (async mode, the inbox's retries):
/// the `outcome` label of `hookverify_handler_runs_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunOutcome {
    /// The handlers succeeded: the event is done.
    Done,
    /// They failed and the event was released (memory-only async mode: the sender got its 202).
    Failed,
    /// They failed and the inbox will try again later.
    Retry,
    /// They failed for the last time: the inbox dead-lettered the event.
    DeadLetter,
}

const OUTCOMES: [Outcome; 6] =
    [Outcome::Handled, Outcome::Accepted, Outcome::Unhandled, Outcome::Duplicate, Outcome::Rejected, Outcome::Failed];
const RUN_OUTCOMES: [RunOutcome; 4] = [RunOutcome::Done, RunOutcome::Failed, RunOutcome::Retry, RunOutcome::DeadLetter];
/// The code slots of one (provider, outcome): none, then each of [`ErrorCode::ALL`].
const CODES: usize = ErrorCode::ALL.len() + 1;

// A slot is `outcome as usize`: the arrays above list the variants in declaration order.
const _: () = {
    let mut i = 0;
    while i < OUTCOMES.len() {
        assert!(OUTCOMES[i] as usize == i);
        i += 1;
    }
    let mut i = 0;
    while i < RUN_OUTCOMES.len() {
        assert!(RUN_OUTCOMES[i] as usize == i);
        i += 1;
    }
};

impl Outcome {
    /// The label value (`handled`, `accepted`, `unhandled`, `duplicate`, `rejected`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Handled => "handled",
            Outcome::Accepted => "accepted",
            Outcome::Unhandled => "unhandled",
            Outcome::Duplicate => "duplicate",
            Outcome::Rejected => "rejected",
            Outcome::Failed => "failed",
        }
    }
}

impl RunOutcome {
    /// The label value (`done`, `failed`, `retry`, `dead_letter`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Done => "done",
            RunOutcome::Failed => "failed",
            RunOutcome::Retry => "retry",
            RunOutcome::DeadLetter => "dead_letter",
        }
    }
}

/// One histogram: cumulative-at-render bucket counts, a sum and a count.
#[derive(Default)]
struct Histogram {
    /// Per bucket (not cumulative); the last one is `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let i = LATENCY_BUCKETS.iter().position(|le| secs <= *le).unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn read(&self) -> Latency {
        let mut running = 0;
        let cumulative = self
            .buckets
            .iter()
            .map(|b| {
                running += b.load(Ordering::Relaxed);
                running
            })
            .collect();
        Latency { cumulative, sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9, count: self.count.load(Ordering::Relaxed) }
    }
}

/// The counters and histograms of one receiver. Safe to share between threads.
pub struct Metrics {
    providers: Vec<String>,
    /// One slot per (provider or none, [`Outcome`], code or none), allocated on first use.
    deliveries: Box<[OnceLock<Box<Histogram>>]>,
    /// One slot per (provider or none, [`RunOutcome`]).
    runs: Box<[OnceLock<Box<Histogram>>]>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("providers", &self.providers).finish_non_exhaustive()
    }
}

/// A latency histogram as read: cumulative bucket counts (one per [`LATENCY_BUCKETS`] bound,
/// then `+Inf`, which equals `count`), the sum of the observations and their count.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Latency {
    /// Observations at or under each bound of [`LATENCY_BUCKETS`], then all of them (`+Inf`).
    pub cumulative: Vec<u64>,
    /// The observations' sum, in seconds.
    pub sum_seconds: f64,
    /// How many observations.
    pub count: u64,
}

/// One series of [`Snapshot::deliveries`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DeliverySeries {
    /// The provider that matched (`None`: none did).
    pub provider: Option<String>,
    /// How it was answered.
    pub outcome: Outcome,
    /// The error code that refused or failed it.
    pub code: Option<ErrorCode>,
    /// Time from the request to its answer.
    pub latency: Latency,
}

/// One series of [`Snapshot::runs`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RunSeries {
    /// The provider of the events run.
    pub provider: Option<String>,
    /// How the runs ended.
    pub outcome: RunOutcome,
    /// The handlers' run time.
    pub latency: Latency,
}

/// Every series, read at one moment, in a stable order (provider, outcome, code).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Snapshot {
    /// Answered deliveries.
    pub deliveries: Vec<DeliverySeries>,
    /// Handler runs after the answer (async mode, inbox retries).
    pub runs: Vec<RunSeries>,
}

impl Snapshot {
    /// As JSON (snake_case keys, as Python's `Receiver.metrics()` returns it).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// As JSON with camelCase keys (`sumSeconds`), as JS's `Receiver#metrics()` returns it.
    pub fn to_json_camel_case(&self) -> String {
        crate::case::camel_case_keys(&self.to_json())
    }

    /// How many deliveries were answered with `outcome` (any provider, any code).
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.deliveries.iter().filter(|s| s.outcome == outcome).map(|s| s.latency.count).sum()
    }
}

impl Metrics {
    /// Metrics for a receiver of these providers (their names are the `provider` label values).
    pub fn new<S: AsRef<str>>(providers: impl IntoIterator<Item = S>) -> Metrics {
        let providers: Vec<String> = providers.into_iter().map(|p| p.as_ref().to_owned()).collect();
        let slots = |n: usize| (0..n).map(|_| OnceLock::new()).collect();
        let per_provider = OUTCOMES.len() * CODES;
        Metrics {
            deliveries: slots((providers.len() + 1) * per_provider),
            runs: slots((providers.len() + 1) * RUN_OUTCOMES.len()),
            providers,
        }
    }

    /// The index of provider `name`, for [`record_run`](Metrics::record_run) by name.
    pub fn provider_index(&self, name: &str) -> Option<usize> {
        self.providers.iter().position(|p| p == name)
    }

    /// Counts an answered delivery: provider `provider` (an index into the names given to
    /// [`new`](Metrics::new); `None` when none matched), answered as `outcome`, refused or failed
    /// with `code`, `elapsed` after the request reached the receiver.
    pub fn record(&self, provider: Option<usize>, outcome: Outcome, code: Option<ErrorCode>, elapsed: Duration) {
        let code = code.and_then(|c| ErrorCode::ALL.iter().position(|x| *x == c)).map_or(0, |i| i + 1);
        let slot = (self.slot(provider) * OUTCOMES.len() + outcome as usize) * CODES + code;
        self.deliveries[slot].get_or_init(Box::default).observe(elapsed);
    }

    /// Counts a handler run that ended after its delivery was answered.
    pub fn record_run(&self, provider: Option<usize>, outcome: RunOutcome, elapsed: Duration) {
        let slot = self.slot(provider) * RUN_OUTCOMES.len() + outcome as usize;
        self.runs[slot].get_or_init(Box::default).observe(elapsed);
    }

    /// 0 for no provider (or an index out of range), else the index plus one.
    fn slot(&self, provider: Option<usize>) -> usize {
        provider.filter(|i| *i < self.providers.len()).map_or(0, |i| i + 1)
    }

    fn provider_name(&self, slot: usize) -> Option<String> {
        slot.checked_sub(1).map(|i| self.providers[i].clone())
    }

    /// Every series used so far, in a stable order: provider (none first, then in configuration
    /// order), outcome, code.
    pub fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot { deliveries: Vec::new(), runs: Vec::new() };
        for (i, h) in self.deliveries.iter().enumerate() {
            let Some(h) = h.get() else { continue };
            let (rest, code) = (i / CODES, i % CODES);
            snapshot.deliveries.push(DeliverySeries {
                provider: self.provider_name(rest / OUTCOMES.len()),
                outcome: OUTCOMES[rest % OUTCOMES.len()],
                code: code.checked_sub(1).map(|c| ErrorCode::ALL[c]),
                latency: h.read(),
            });
        }
        for (i, h) in self.runs.iter().enumerate() {
            let Some(h) = h.get() else { continue };
            snapshot.runs.push(RunSeries {
                provider: self.provider_name(i / RUN_OUTCOMES.len()),
                outcome: RUN_OUTCOMES[i % RUN_OUTCOMES.len()],
                latency: h.read(),
            });
        }
        snapshot
    }

    /// The Prometheus text exposition format (version 0.0.4) of every series:
    /// `hookverify_deliveries_total{provider,outcome,code}`,
    /// `hookverify_delivery_duration_seconds{provider,outcome}` (histogram),
    /// `hookverify_handler_runs_total{provider,outcome}` and
    /// `hookverify_handler_duration_seconds{provider,outcome}` (histogram). A label without a
    /// value (no provider matched, no error code) is left out.
    pub fn prometheus(&self) -> String {
        let snapshot = self.snapshot();
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP hookverify_deliveries_total Deliveries answered, by provider, outcome and error code.\n");
        out.push_str("# TYPE hookverify_deliveries_total counter\n");
        for s in &snapshot.deliveries {
            let labels = labels(&[
                ("provider", s.provider.as_deref()),
                ("outcome", Some(s.outcome.as_str())),
                ("code", s.code.map(ErrorCode::as_str)),
            ]);
            let _ = writeln!(out, "hookverify_deliveries_total{labels} {}", s.latency.count);
        }
        out.push_str("# HELP hookverify_delivery_duration_seconds Time from a request to its answer.\n");
        out.push_str("# TYPE hookverify_delivery_duration_seconds histogram\n");
        // The histogram has no `code` label: series that differ only by code are added up.
        let mut merged: Vec<(Option<&str>, Outcome, Latency)> = Vec::new();
        for s in &snapshot.deliveries {
            match merged.iter_mut().find(|(p, o, _)| *p == s.provider.as_deref() && *o == s.outcome) {
                Some((_, _, l)) => add(l, &s.latency),
                None => merged.push((s.provider.as_deref(), s.outcome, s.latency.clone())),
            }
        }
        for (provider, outcome, latency) in &merged {
            histogram(
                &mut out,
                "hookverify_delivery_duration_seconds",
                &[("provider", *provider), ("outcome", Some(outcome.as_str()))],
                latency,
            );
        }
        out.push_str("# HELP hookverify_handler_runs_total Handler runs that ended after their delivery was answered.\n");
        out.push_str("# TYPE hookverify_handler_runs_total counter\n");
        for s in &snapshot.runs {
            let labels = labels(&[("provider", s.provider.as_deref()), ("outcome", Some(s.outcome.as_str()))]);
            let _ = writeln!(out, "hookverify_handler_runs_total{labels} {}", s.latency.count);
        }
        out.push_str("# HELP hookverify_handler_duration_seconds Handler run time, for runs after the answer.\n");
        out.push_str("# TYPE hookverify_handler_duration_seconds histogram\n");
        for s in &snapshot.runs {
            histogram(
                &mut out,
                "hookverify_handler_duration_seconds",
                &[("provider", s.provider.as_deref()), ("outcome", Some(s.outcome.as_str()))],
                &s.latency,
            );
        }
        out
    }
}

fn add(into: &mut Latency, other: &Latency) {
    for (a, b) in into.cumulative.iter_mut().zip(&other.cumulative) {
        *a += b;
    }
    into.sum_seconds += other.sum_seconds;
    into.count += other.count;
}

fn histogram(out: &mut String, name: &str, base: &[(&str, Option<&str>)], latency: &Latency) {
    let bounds = LATENCY_BUCKETS.iter().map(|b| b.to_string()).chain(std::iter::once("+Inf".to_owned()));
    for (le, n) in bounds.zip(&latency.cumulative) {
        let mut all = base.to_vec();
        all.push(("le", Some(le.as_str())));
        let _ = writeln!(out, "{name}_bucket{} {n}", labels(&all));
    }
    let labels = labels(base);
    let _ = writeln!(out, "{name}_sum{labels} {}", latency.sum_seconds);
    let _ = writeln!(out, "{name}_count{labels} {}", latency.count);
}

/// `{a="x",b="y"}` with the values escaped as the text format requires (`\\`, `\"`, `\n`);
/// labels without a value are left out, and no labels at all give an empty string.
fn labels(pairs: &[(&str, Option<&str>)]) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        let Some(value) = value else { continue };
        out.push(if out.is_empty() { '{' } else { ',' });
        out.push_str(name);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    if !out.is_empty() {
        out.push('}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets() {
        let m = Metrics::new(["github", "stripe"]);
        m.record(Some(0), Outcome::Handled, None, Duration::from_micros(80));
        m.record(Some(0), Outcome::Handled, None, Duration::from_millis(3));
        m.record(None, Outcome::Rejected, Some(ErrorCode::MissingHeader), Duration::from_micros(5));
        m.record(Some(1), Outcome::Rejected, Some(ErrorCode::NoMatchingSignature), Duration::from_secs(20));
        m.record_run(Some(1), RunOutcome::Retry, Duration::from_millis(1));
        let s = m.snapshot();
        assert_eq!(s.count(Outcome::Handled), 2);
        assert_eq!(s.count(Outcome::Rejected), 2);
        // Sorted by provider (none first), then outcome, then code.
        assert_eq!(s.deliveries[0].provider, None);
        let handled = &s.deliveries[1];
        assert_eq!((handled.provider.as_deref(), handled.outcome), (Some("github"), Outcome::Handled));
        // 80 µs is under the first bound; 3 ms lands in the 5 ms bucket.
        assert_eq!(handled.latency.cumulative[0], 1);
        assert_eq!(handled.latency.cumulative[4], 1);
        assert_eq!(handled.latency.cumulative[5], 2);
        assert_eq!(*handled.latency.cumulative.last().unwrap(), 2);
        let slow = s.deliveries.iter().find(|d| d.provider.as_deref() == Some("stripe")).unwrap();
        assert_eq!(slow.latency.cumulative[LATENCY_BUCKETS.len() - 1], 0, "20 s is over the last bound");
        assert_eq!(slow.latency.cumulative[LATENCY_BUCKETS.len()], 1, "+Inf holds it");
        assert_eq!(s.runs.len(), 1);
        assert_eq!(s.runs[0].outcome, RunOutcome::Retry);
    }

    #[test]
    fn out_of_range_provider_is_no_provider() {
        let m = Metrics::new(["only"]);
        m.record(Some(7), Outcome::Rejected, Some(ErrorCode::NotFound), Duration::ZERO);
        assert_eq!(m.snapshot().deliveries[0].provider, None);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(labels(&[("provider", Some("a\"b\\c\nd")), ("code", None)]), r#"{provider="a\"b\\c\nd"}"#);
        assert_eq!(labels(&[("code", None)]), "");
    }
}
