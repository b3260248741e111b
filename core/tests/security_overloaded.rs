//! The `overloaded` code: a full handler queue is refused with 503 and `Retry-After`, in the same
//! JSON shape as every other error decision (bindings build it with `Decision::from_error`).

use hookverify::receiver::Decision;
use hookverify::{Error, ErrorCode};

#[test]
fn overloaded_is_503_with_retry_after() {
    let err = Error::Overloaded { reason: "the handler queue is full (3 deliveries waiting)".into() };
    assert_eq!(err.code(), ErrorCode::Overloaded);
    assert_eq!(ErrorCode::from_str_code("overloaded"), Some(ErrorCode::Overloaded));
    let d = Decision::from_error(&err);
    assert_eq!(d.status, 503);
    assert!(d.headers.iter().any(|(k, v)| k == "Retry-After" && v == "5"), "{:?}", d.headers);
    let body: serde_json::Value = serde_json::from_str(&d.body).unwrap();
    assert_eq!(body["error"]["code"], "overloaded");
    assert_eq!(body["error"]["message"], "overloaded: the handler queue is full (3 deliveries waiting)");
}
