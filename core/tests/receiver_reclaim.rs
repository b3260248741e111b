//! `Receiver::reclaim`: a queued async delivery's claim taken again when a worker starts it (the
//! rule the Python binding's queue used to restate with its own copy of the store and lease).
//!
//! Signatures are computed with the `hmac`/`sha2` crates directly, never with hookverify's signer.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use hookverify::dedup::{Claim, MemoryStore, Store};
use hookverify::receiver::{Delivery, Provider, Receiver, Request, Step};
use hookverify::{Scheme, Verifier};

const NOW: i64 = 1_700_000_000;
const SECRET: &str = "reflex-secret";

fn receiver(store: Arc<MemoryStore>, lease: Duration) -> Receiver<()> {
    let scheme = Scheme::from_json(r#"{"name":"reflex","signature_header":"X-Reflex-Signature"}"#).unwrap();
    let verifier = Verifier::new(scheme, [SECRET]).unwrap();
    let mut r = Receiver::new(vec![Provider::new("reflex", verifier)], Box::new(store)).unwrap();
    r.on("*", ()).lease_and_retention(lease, Duration::from_secs(3600));
    r
}

/// A delivery begun (verified and claimed) by `r`.
fn begin(r: &Receiver<()>) -> Delivery {
    let body = format!(r#"{{"id":"evt_1","type":"deployment.created","created_at":{NOW},"data":{{}}}}"#).into_bytes();
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    m.update(&body);
    let headers = vec![("X-Reflex-Signature".to_owned(), hex::encode(m.finalize().into_bytes()))];
    match r.begin(Request { method: "POST", path: "/", headers: &headers, body: &body, now: NOW }) {
        Step::Run(d) => d,
        Step::Respond(d) => panic!("expected a delivery, got {} {}", d.status, d.body),
    }
}

#[test]
fn reclaim_exchanges_the_claim_for_a_fresh_one_with_a_higher_token() {
    let store = Arc::new(MemoryStore::default());
    let r = receiver(store.clone(), Duration::from_secs(60));
    let d = begin(&r);
    let Claim::Acquired(fresh) = r.reclaim(&d, d.token).unwrap() else { panic!("not acquired") };
    assert!(fresh.0 > d.token.0, "{fresh:?} after {:?}", d.token);
    // The first claim is gone: completing under its token is refused, under the fresh one recorded.
    assert!(r.finish(&Delivery { token: d.token, ..d.clone() }, true).headers.iter().any(|(n, _)| n == "Hookverify-Warning"));
    let done = r.finish(&Delivery { token: fresh, ..d.clone() }, true);
    assert_eq!(done.status, 200);
    assert!(done.headers.iter().all(|(n, _)| n != "Hookverify-Warning"), "{:?}", done.headers);
    assert!(matches!(r.reclaim(&d, fresh).unwrap(), Claim::Done));
}

#[test]
fn reclaim_leaves_a_claim_another_copy_holds() {
    let store = Arc::new(MemoryStore::default());
    let r = receiver(store.clone(), Duration::from_secs(60));
    let d = begin(&r);
    // Another copy holds the key (this delivery's lease ran out and it was claimed again).
    store.release(&d.key, d.token).unwrap();
    let Claim::Acquired(_) = store.claim(&d.key, Duration::from_secs(60)).unwrap() else { panic!("not acquired") };
    assert!(matches!(r.reclaim(&d, d.token).unwrap(), Claim::InProgress { .. }));
    // The holder's claim is untouched: it can still complete.
    assert!(matches!(store.claim(&d.key, Duration::from_secs(60)).unwrap(), Claim::InProgress { .. }));
}

#[test]
fn reclaim_uses_the_receivers_lease() {
    // A zero-length lease: the fresh claim has expired at once, so another claim takes the key.
    let store = Arc::new(MemoryStore::default());
    let r = receiver(store.clone(), Duration::from_millis(1));
    let d = begin(&r);
    let Claim::Acquired(_) = r.reclaim(&d, d.token).unwrap() else { panic!("not acquired") };
    std::thread::sleep(Duration::from_millis(20));
    assert!(matches!(store.claim(&d.key, Duration::from_secs(60)).unwrap(), Claim::Acquired(_)));
}
