//! The JavaScript flavour of the core's JSON objects: camelCase keys.
//!
//! The core names every key snake_case (the HTTP answers, the CLI's `--json`, Python). What the
//! Node and wasm bindings hand to JS (an error's `details`, a `diagnose` report) goes through
//! [`camel_case_keys`] instead, here and nowhere else, so both JS backends spell every key the
//! same way and a new key needs no change in any binding.

use std::fmt;

use heck::ToLowerCamelCase;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// Rewrites one JSON text with every object key, at any depth, renamed from snake_case to
/// lowerCamelCase (`skew_seconds` → `skewSeconds`, `key_index` → `keyIndex`). Values, including
/// strings such as check names and hint codes, are unchanged, and so is the order of the keys
/// (a report's fields stay in their documented order). Text that is not JSON is returned as is
/// (the core only passes its own output).
pub fn camel_case_keys(json: &str) -> String {
    match serde_json::from_str::<Node>(json) {
        Ok(node) => serde_json::to_string(&node).unwrap_or_else(|_| json.to_owned()),
        Err(_) => json.to_owned(),
    }
}

/// A JSON value that keeps its keys in order whatever serde_json's features (`Value`'s map is
/// sorted unless `preserve_order` is on), renaming them as it is read.
enum Node {
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    Scalar(Value),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Scalar(v.into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Scalar(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Node>()? {
            let key = if key.contains('_') { key.to_lower_camel_case() } else { key };
            entries.push((key, value));
        }
        Ok(Node::Object(entries))
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Scalar(v) => v.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::camel_case_keys;

    #[test]
    fn keys_at_every_depth_are_renamed_in_order_and_values_are_not() {
        let snake = r#"{"valid":false,"key_index":null,"checks":[{"name":"body_size","is_ok":true}],"event":{"created_at":"x_y","n":-1.5},"a_b":"c_d"}"#;
        let camel = r#"{"valid":false,"keyIndex":null,"checks":[{"name":"body_size","isOk":true}],"event":{"createdAt":"x_y","n":-1.5},"aB":"c_d"}"#;
        assert_eq!(camel_case_keys(snake), camel);
    }

    #[test]
    fn large_integers_and_non_json_pass_through() {
        assert_eq!(
            camel_case_keys(r#"{"big_n":18446744073709551615,"neg":-9223372036854775808}"#),
            r#"{"bigN":18446744073709551615,"neg":-9223372036854775808}"#
        );
        assert_eq!(camel_case_keys("not json"), "not json");
    }
}
