//! Every type a public signature mentions is reachable from the crate root (issue 18: `Scope` and
//! `Matcher` were not, so `on_scoped` and `Provider::matching` needed module paths). This file
//! does not compile when one goes missing.

#[allow(unused_imports)]
use hookverify::{
    Check, Claim, Clock, Completion, DedupBasis, Encoding, EventSummary, FieldRule, FieldSource, HeaderAlias, Hint, HintCode, Keyring,
    MatchRule, Matcher, ModeConfig, Pattern, ProviderConfig, ReceiverConfig, RouteConfig, SchemeRef, Scope, SignatureFormat,
    SyncHeaderConfig, SystemClock, VerifierBuilder,
};

#[test]
fn scope_and_matcher_from_the_root() {
    let v = hookverify::Verifier::new(hookverify::Scheme::preset("github").unwrap(), ["s"]).unwrap();
    let p = hookverify::Provider::new("gh", v).matching(Matcher::HeaderPresent("X-Source".into()));
    let mut r: hookverify::Receiver<u8> = hookverify::Receiver::new(vec![p], Box::new(hookverify::MemoryStore::default())).unwrap();
    r.on_scoped("*", Scope::default().provider("gh"), 1);
    assert!(r.header_names().iter().any(|n| n == "X-Source"));
    assert_eq!(Pattern::parse("a.*"), Pattern::Prefix("a.".into()));
}
