//! Smoke test of the PACKAGED crate (dist/hookverify-<v>.crate), built as a dependency of this fresh
//! project by scripts/test-package.sh. GitHub's documented test delivery (docs.github.com), plus a
//! delivery whose signature the runner computed with openssl (SMOKE_BODY, SMOKE_SIGNATURE).
use hookverify::{Scheme, Verifier};

fn main() -> Result<(), hookverify::Error> {
    let verifier = Verifier::builder(Scheme::preset("github")?).secret("It's a Secret to Everybody").build()?;
    let documented = [("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")];
    verifier.verify_signature_at(b"Hello, World!", &documented, 0)?;
    let err = verifier.verify_signature_at(b"Hello, World?", &documented, 0).unwrap_err();
    assert_eq!(err.code().as_str(), "no_matching_signature");

    let body = std::env::var("SMOKE_BODY").expect("SMOKE_BODY");
    let signature = std::env::var("SMOKE_SIGNATURE").expect("SMOKE_SIGNATURE");
    verifier.verify_signature_at(body.as_bytes(), &[("x-hub-signature-256", signature.as_str())], 0)?;
    println!("ok crate {}: verifies GitHub's documented delivery and one signed with openssl", hookverify::VERSION);
    Ok(())
}
