//! Issue 18 (b): runtime secret rotation without rebuilding (Revnoxa rotates "at any time"):
//! `Verifier::set_secrets` (`&self`, atomic, safe against concurrent verification) and
//! `Receiver::set_secrets` per provider.
//!
//! Signatures are computed with the `hmac`/`sha2` crates directly, never with hookverify's signer.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use hmac::{Hmac, Mac};
use hookverify::dedup::MemoryStore;
use hookverify::receiver::{Provider, Receiver, Request, Step};
use hookverify::{Error, ErrorCode, Scheme, Secret, Verifier};

const NOW: i64 = 1_700_000_000;
const OLD: &str = "revnoxa-old-secret";
const NEW: &str = "revnoxa-new-secret";
const REVNOXA: &str = r#"{"name":"revnoxa","signature_header":"X-Revnoxa-Signature"}"#;

fn hex_mac(secret: &[u8], body: &[u8]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    m.update(body);
    hex::encode(m.finalize().into_bytes())
}

/// A Revnoxa delivery signed with `secret`.
fn delivery(secret: &str, id: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let body = format!(r#"{{"id":"{id}","type":"invoice.paid","created_at":{NOW},"data":{{}}}}"#).into_bytes();
    (vec![("X-Revnoxa-Signature".to_owned(), hex_mac(secret.as_bytes(), &body))], body)
}

fn revnoxa(secrets: &[&str]) -> Verifier {
    Verifier::new(Scheme::from_json(REVNOXA).unwrap(), secrets).unwrap()
}

/// `Ok(key_index)` or the error code of verifying a delivery signed with `secret`.
fn check(v: &Verifier, secret: &str) -> Result<usize, ErrorCode> {
    let (h, body) = delivery(secret, "evt_1");
    v.verify_at(&body, &h, NOW).map(|e| e.key_index).map_err(|e| e.code())
}

#[test]
fn rotation_replaces_the_live_secrets() {
    let v = revnoxa(&[OLD]);
    assert_eq!(check(&v, OLD), Ok(0));
    assert_eq!(check(&v, NEW), Err(ErrorCode::NoMatchingSignature));
    // Overlap: both live, in the order given.
    v.set_secrets([NEW, OLD]).unwrap();
    assert_eq!(v.secret_count(), 2);
    assert_eq!(check(&v, NEW), Ok(0));
    assert_eq!(check(&v, OLD), Ok(1));
    // Done: the old secret is refused.
    v.set_secrets([NEW]).unwrap();
    assert_eq!(v.secret_count(), 1);
    assert_eq!(check(&v, NEW), Ok(0));
    assert_eq!(check(&v, OLD), Err(ErrorCode::NoMatchingSignature));
    let (h, body) = delivery(OLD, "evt_1");
    assert!(matches!(v.verify_signature_at(&body, &h, NOW), Err(Error::NoMatchingSignature { secrets: 1, .. })));
    // Raw key bytes too.
    v.set_secret_keys(&[Secret::from_bytes(OLD.as_bytes().to_vec()).unwrap()]).unwrap();
    assert_eq!(check(&v, OLD), Ok(0));
}

#[test]
fn bad_secrets_are_refused_as_at_construction_and_the_old_ones_stay() {
    let v = revnoxa(&[OLD]);
    let none: [&str; 0] = [];
    for (bad, code) in
        [(&none[..], ErrorCode::InvalidSecret), (&[NEW, ""][..], ErrorCode::InvalidSecret), (&[" \n"][..], ErrorCode::InvalidSecret)]
    {
        let built = Verifier::new(Scheme::from_json(REVNOXA).unwrap(), bad).unwrap_err();
        let rotated = v.set_secrets(bad).unwrap_err();
        assert_eq!((built.code(), rotated.code()), (code, code), "{bad:?}");
        assert_eq!(built.to_string(), rotated.to_string(), "one validation for both");
        assert_eq!(check(&v, OLD), Ok(0), "the old secret stays live after {bad:?}");
        assert_eq!(v.secret_count(), 1);
    }
    // A whsec scheme decodes on rotation as at construction; the error never shows the secret.
    let std_v = Verifier::new(Scheme::preset("standard").unwrap(), ["whsec_c2VjcmV0"]).unwrap();
    let err = std_v.set_secrets(["whsec_not*base64*QZcanary"]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidSecret);
    let shown = format!("{err} {err:?} {}", err.details());
    assert!(!shown.contains("QZcanary"), "{shown}");
    assert_eq!(std_v.secret_count(), 1);
    std_v.set_secrets(["whsec_QZcanaryQZcanary"]).unwrap();
    assert!(!format!("{std_v:?}").contains("QZcanary"));
}

#[test]
fn clones_share_the_live_secrets() {
    let v = revnoxa(&[OLD]);
    let handed_off = v.clone();
    v.set_secrets([NEW]).unwrap();
    assert_eq!(check(&handed_off, NEW), Ok(0));
    assert_eq!(check(&handed_off, OLD), Err(ErrorCode::NoMatchingSignature));
}

#[test]
fn concurrent_verification_sees_the_old_or_the_new_secrets_never_a_mix() {
    // The rotation cycles [OLD] → [OLD, NEW] → [NEW] → [NEW, OLD]. A delivery signed with OLD is
    // then key 0 ([OLD], [OLD, NEW]), key 1 ([NEW, OLD]) or unmatched against one secret ([NEW]);
    // one signed with NEW likewise. Anything else would be a torn or half-built keyring.
    let v = Arc::new(revnoxa(&[OLD]));
    let stop = Arc::new(AtomicBool::new(false));
    let rotations = Arc::new(AtomicUsize::new(0));
    let rotator = {
        let (v, stop, rotations) = (v.clone(), stop.clone(), rotations.clone());
        std::thread::spawn(move || {
            let states: [&[&str]; 4] = [&[OLD], &[OLD, NEW], &[NEW], &[NEW, OLD]];
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                v.set_secrets(states[i % 4]).unwrap();
                rotations.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let verifiers: Vec<_> = (0..3)
        .map(|t| {
            let v = v.clone();
            std::thread::spawn(move || {
                let mut seen = [0usize; 3];
                for n in 0..4000 {
                    let secret = if (n + t) % 2 == 0 { OLD } else { NEW };
                    let (h, body) = delivery(secret, "evt_1");
                    match v.verify_at(&body, &h, NOW) {
                        Ok(e) => {
                            assert!(e.key_index <= 1, "key index {}", e.key_index);
                            seen[e.key_index] += 1;
                        }
                        Err(Error::NoMatchingSignature { secrets: 1, signatures: 1, .. }) => seen[2] += 1,
                        Err(other) => panic!("neither the old nor the new secrets: {other:?}"),
                    }
                }
                seen
            })
        })
        .collect();
    let seen: Vec<[usize; 3]> = verifiers.into_iter().map(|h| h.join().expect("a verifying thread panicked")).collect();
    stop.store(true, Ordering::Relaxed);
    rotator.join().expect("the rotating thread panicked");
    assert!(rotations.load(Ordering::Relaxed) > 0);
    let total: usize = seen.iter().flatten().sum();
    assert_eq!(total, 3 * 4000);
    // Settled: the last rotation decides.
    v.set_secrets([NEW]).unwrap();
    assert_eq!(check(&v, NEW), Ok(0));
    assert_eq!(check(&v, OLD), Err(ErrorCode::NoMatchingSignature));
}

#[test]
fn receivers_rotate_one_provider_by_name() {
    let github = Verifier::new(Scheme::preset("github").unwrap(), ["gh-secret"]).unwrap();
    let mut r: Receiver<&str> =
        Receiver::new(vec![Provider::new("github", github), Provider::new("revnoxa", revnoxa(&[OLD]))], Box::new(MemoryStore::default()))
            .unwrap();
    r.on("*", "any");
    let status = |secret: &str, id: &str| {
        let (h, body) = delivery(secret, id);
        match r.begin(Request { method: "POST", path: "/hooks", headers: &h, body: &body, now: NOW }) {
            Step::Respond(d) => d.status,
            Step::Run(d) => {
                r.finish(&d, true);
                200
            }
        }
    };
    assert_eq!(status(OLD, "e1"), 200);
    assert_eq!(status(NEW, "e2"), 401);
    r.set_secrets("revnoxa", [OLD, NEW]).unwrap();
    assert_eq!((status(OLD, "e3"), status(NEW, "e4")), (200, 200), "overlap: both accepted");
    r.set_secrets("revnoxa", [NEW]).unwrap();
    assert_eq!((status(OLD, "e5"), status(NEW, "e6")), (401, 200));
    // The other provider is untouched.
    assert_eq!(r.providers()[0].verifier().secret_count(), 1);
    // An unknown name is invalid_argument; the name given is not repeated (it could be a secret
    // passed in the wrong place). A bad secret leaves the old ones live.
    let err = r.set_secrets("whsec_QZcanary", [NEW]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(!err.to_string().contains("QZcanary") && err.to_string().contains("github, revnoxa"), "{err}");
    assert_eq!(r.set_secrets("revnoxa", [""]).unwrap_err().code(), ErrorCode::InvalidSecret);
    assert_eq!(status(NEW, "e7"), 200);
}
