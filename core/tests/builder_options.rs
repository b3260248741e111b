//! `VerifierBuilder::options`: the one mapping of the options every front end takes one to one
//! (`VerifierOptions` from JSON, Python's `Verifier(...)` keywords); `None` / `false` keep what is set.

use hookverify::{Scheme, Verifier, VerifierOptions};

#[test]
fn options_set_what_is_given_and_keep_the_rest() {
    let stripe = || Verifier::builder(Scheme::preset("stripe").unwrap()).secret("whsec_a");
    let v = stripe().tolerance_seconds(60).max_body_bytes(10).options(None, None, false, None).build().unwrap();
    assert_eq!((v.tolerance_seconds(), v.max_body_bytes(), v.max_event_age()), (Some(60), 10, None));
    let v = stripe().tolerance_seconds(60).options(Some(30), Some(20), false, None).build().unwrap();
    assert_eq!((v.tolerance_seconds(), v.max_body_bytes()), (Some(30), 20));
    let v = stripe().options(None, None, true, None).build().unwrap();
    assert_eq!(v.tolerance_seconds(), None, "the timestamp check is off");
    let reflex = Scheme::from_json(r#"{"name":"reflex","signature_header":"X-Reflex-Signature"}"#).unwrap();
    let v = Verifier::builder(reflex).secret("s").options(None, None, false, Some(300)).build().unwrap();
    assert_eq!(v.max_event_age(), Some(300));
    // VerifierOptions goes through the same mapping.
    let json = r#"{"scheme":"stripe","secret":"whsec_a","toleranceSeconds":45,"maxBodyBytes":99}"#;
    let v = VerifierOptions::from_json(json).unwrap().build().unwrap();
    assert_eq!((v.tolerance_seconds(), v.max_body_bytes()), (Some(45), 99));
}
