//! The `#[non_exhaustive]` option structs can still be built outside the crate (issue 18): each has
//! a constructor or `Default`, then field assignment. That struct literals and wildcard-free
//! matches no longer compile is checked by the `compile_fail` examples on `Scope` and `Mode`.

use hookverify::receiver::Receiver;
use hookverify::{
    Encoding, EventMapping, FieldRule, FieldSource, HeaderAlias, MemoryStore, Mode, Provider, Scheme, SchemeRef, SchemeSpec, Scope,
    SignatureFormat, Verifier, VerifierOptions,
};

#[test]
fn verifier_options_from_new_and_assignment() {
    let mut o = VerifierOptions::new(SchemeRef::Name("github".into()));
    o.secret = Some("It's a Secret to Everybody".into());
    o.max_body_bytes = Some(64);
    let v = o.build().unwrap();
    // GitHub's documented example (docs.github.com), body before headers.
    let h = [("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")];
    assert_eq!(v.verify_signature_at(b"Hello, World!", &h, 0).unwrap().key_index, 0);
    assert_eq!(v.verify_signature_at(&[b'x'; 65], &h, 0).unwrap_err().code(), hookverify::ErrorCode::PayloadTooLarge);
}

#[test]
fn scheme_spec_from_new_and_assignment() {
    let mut spec = SchemeSpec::new("reflex", "X-Reflex-Signature");
    spec.encoding = Encoding::Base64;
    spec.signature_format = SignatureFormat::Single;
    let mut alias = HeaderAlias::new("X-Reflex-Signature-Legacy");
    alias.id_header = None;
    spec.header_aliases.push(alias);
    let mut rule = FieldRule::default();
    rule.pointer = Some("/event_id".into());
    let mut event = EventMapping::default();
    event.id = Some(FieldSource::Rule(rule));
    spec.event = event;
    let scheme = Scheme::compile(spec).unwrap();
    assert_eq!(scheme.name(), "reflex");
    assert!(scheme.header_names().contains(&"X-Reflex-Signature-Legacy"));
}

#[test]
fn scope_builder_and_mode_default() {
    let scope = Scope::default().provider("gh").path("git/push");
    assert_eq!((scope.provider.as_deref(), scope.path.as_deref()), (Some("gh"), Some("git/push")));
    let v = Verifier::new(Scheme::preset("github").unwrap(), ["s"]).unwrap();
    let mut r: Receiver<u8> = Receiver::new(vec![Provider::new("gh", v)], Box::new(MemoryStore::default())).unwrap();
    r.on_scoped("*", scope, 1);
    assert_eq!(Mode::default(), Mode::Async);
}
