//! The shared receiver decision table (tests/vectors/receiver-decisions.json): the same cases run in
//! Node (native and wasm) and Python, and every runtime must answer with these exact bytes.

use hookverify::{Decision, MemoryStore, ReceiverConfig, Request, Step};
use serde_json::Value;

fn table() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/receiver-decisions.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check(what: &str, d: &Decision, expect: &Value) {
    assert_eq!(u64::from(d.status), expect["status"].as_u64().unwrap(), "{what}: status; body {}", d.body);
    let headers: Vec<Value> = d.headers.iter().map(|(k, v)| serde_json::json!([k, v])).collect();
    assert_eq!(Value::from(headers), expect["headers"], "{what}: headers");
    assert_eq!(d.body, expect["body"].as_str().unwrap(), "{what}: body bytes");
}

#[test]
fn every_case_answers_byte_for_byte() {
    let doc = table();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 14, "the table has its cases");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let config = ReceiverConfig::from_json(&case["config"].to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let receiver = config.build(Box::new(MemoryStore::default())).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (i, r) in case["requests"].as_array().unwrap().iter().enumerate() {
            let what = format!("{name} [request {i}]");
            if let Some(length) = r["declared_length"].as_u64() {
                check(&what, &receiver.too_large(length).expect("over the cap"), &r["expect"]);
                continue;
            }
            let headers: Vec<(String, String)> =
                r["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
            let body = r["body"].as_str().unwrap().as_bytes();
            let request =
                Request { method: "POST", path: r["path"].as_str().unwrap(), headers: &headers, body, now: r["now"].as_i64().unwrap() };
            let decision = match receiver.begin(request) {
                Step::Respond(d) => {
                    assert!(r.get("expect_handlers").is_none(), "{what}: expected handlers to run, got {}", d.body);
                    d
                }
                Step::Run(delivery) => {
                    let ran: Vec<usize> = delivery.handlers.iter().map(|h| *receiver.handler(*h)).collect();
                    assert_eq!(Value::from(ran), r["expect_handlers"], "{what}: handlers");
                    let ok = r["handlers_ok"].as_bool().unwrap();
                    if delivery.sync {
                        receiver.finish(&delivery, ok)
                    } else {
                        let answer = receiver.accepted(&delivery);
                        receiver.finish(&delivery, ok);
                        answer
                    }
                }
            };
            check(&what, &decision, &r["expect"]);
        }
    }
}

#[test]
fn malformed_configs_are_refused_with_their_code() {
    for case in table()["malformed"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let built = ReceiverConfig::from_json(&case["config"].to_string()).and_then(|c| c.build(Box::new(MemoryStore::default())));
        let err = built.err().unwrap_or_else(|| panic!("{name}: accepted"));
        assert_eq!(err.code().as_str(), case["error"].as_str().unwrap(), "{name}: {err}");
    }
}
