//! Preset aliases (issue 19 item 6): `svix`, `clerk`, `resend`, `openai`, `replicate`, `brex` name
//! `standard`; `whatsapp`, `facebook`, `instagram` name `meta`. One lookup (`Scheme::preset`) serves
//! every place a preset name is accepted. Expected verdicts come from tests/vectors/presets.json
//! (official SDK tests and Python-computed vectors), run under each alias.

use std::path::Path;

use hookverify::scheme::{preset_aliases, preset_names};
use hookverify::{MemoryStore, ReceiverConfig, Scheme, Verifier, VerifierOptions};
use serde_json::Value;

const EXPECTED: [(&str, &str); 9] = [
    ("svix", "standard"),
    ("clerk", "standard"),
    ("resend", "standard"),
    ("openai", "standard"),
    ("replicate", "standard"),
    ("brex", "standard"),
    ("whatsapp", "meta"),
    ("facebook", "meta"),
    ("instagram", "meta"),
];

fn doc() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/presets.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn aliases_are_the_issue_list_and_name_presets() {
    assert_eq!(preset_aliases(), EXPECTED.as_slice());
    for (alias, preset) in EXPECTED {
        assert!(preset_names().contains(&preset), "{alias}");
        assert!(!preset_names().contains(&alias), "{alias} is also a preset name");
        let scheme = Scheme::preset(alias).unwrap();
        assert_eq!(scheme.name(), preset, "the scheme is the preset's");
        assert_eq!(scheme.label(), alias, "the label is the name asked for");
        assert_eq!(scheme.alias(), Some(alias));
        assert_eq!(scheme.spec(), Scheme::preset(preset).unwrap().spec(), "{alias}");
        assert_eq!(Scheme::resolve(alias).unwrap().label(), alias);
    }
    let standard = Scheme::preset("standard").unwrap();
    assert_eq!((standard.label(), standard.alias()), ("standard", None));
    let err = Scheme::preset("Svix").unwrap_err();
    assert_eq!(err.code().as_str(), "unknown_scheme", "names are exact, as preset names");
    assert!(err.to_string().contains("postmark (aliases: svix, clerk,"), "the message lists the aliases: {err}");
}

#[test]
fn every_vector_of_the_preset_verifies_alike_under_each_alias() {
    let doc = doc();
    for (alias, preset) in EXPECTED {
        let tests: Vec<&Value> = doc["tests"].as_array().unwrap().iter().filter(|t| t["preset"] == preset).collect();
        assert!(tests.len() >= 2, "{preset}: vectors");
        for t in tests {
            let id = t["id"].as_str().unwrap();
            let keys: Vec<&str> = t["public_keys"].as_array().map(|k| k.iter().map(|k| k.as_str().unwrap()).collect()).unwrap_or_default();
            let v = Verifier::builder(Scheme::preset(alias).unwrap()).secrets(t["secret"].as_str()).public_keys(keys).build().unwrap();
            let h: Vec<(String, String)> =
                t["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
            let verdict = v.verify_signature_at(t["body"].as_str().unwrap().as_bytes(), &h, t["now"].as_i64().unwrap());
            if t["expected"]["valid"] == true {
                verdict.unwrap_or_else(|e| panic!("{alias} {id}: {e}"));
            } else {
                assert_eq!(verdict.unwrap_err().code().as_str(), t["expected"]["code"].as_str().unwrap(), "{alias} {id}");
            }
        }
    }
}

#[test]
fn options_and_receiver_configs_accept_aliases_and_label_providers_by_them() {
    let v = VerifierOptions::from_json(r#"{"scheme": "whatsapp", "secret": "s"}"#).unwrap().build().unwrap();
    assert_eq!((v.scheme().name(), v.scheme().label()), ("meta", "whatsapp"));
    // Two Standard Webhooks senders on one endpoint: each is its own provider, named as configured
    // (the default name is the label), so metrics and dedup keys keep them apart.
    let config = ReceiverConfig::from_json(
        r#"{"providers": [
            {"scheme": "clerk", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "match": {"header": "x-from", "equals": "clerk"}},
            {"scheme": "resend", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "match": {"header": "x-from", "equals": "resend"}},
            {"name": "wa", "scheme": "whatsapp", "secret": "s"}
        ]}"#,
    )
    .unwrap();
    let receiver = config.build(Box::new(MemoryStore::default())).unwrap();
    let names: Vec<&str> = receiver.providers().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["clerk", "resend", "wa"]);
    assert_eq!(receiver.providers()[0].verifier().scheme().name(), "standard");
}
