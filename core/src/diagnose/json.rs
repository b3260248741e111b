//! A small order-preserving JSON model, only for re-serialization variants.
//!
//! `serde_json::Value` cannot be used here: its key order depends on a cargo
//! feature another crate may turn on, and it rewrites number text. Variants
//! must be the same bytes in every build, so numbers are kept verbatim and
//! object members in their original order.

/// A parsed JSON value; numbers keep their source text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Nesting accepted by the parser (the same bound as `event::MAX_JSON_DEPTH`).
const MAX_DEPTH: usize = crate::event::MAX_JSON_DEPTH;

/// Parses strict RFC 8259 JSON (surrounding whitespace allowed); `None` for anything else.
pub(crate) fn parse(text: &[u8]) -> Option<Json> {
    let text = std::str::from_utf8(text).ok()?;
    let mut p = Parser { b: text.as_bytes(), i: 0, depth: 0 };
    p.ws();
    let value = p.value()?;
    p.ws();
    (p.i == p.b.len()).then_some(value)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.b.get(self.i) == Some(&byte);
        self.i += usize::from(hit);
        hit
    }

    fn literal(&mut self, word: &str, value: Json) -> Option<Json> {
        self.b[self.i..].starts_with(word.as_bytes()).then(|| {
            self.i += word.len();
            value
        })
    }

    fn value(&mut self) -> Option<Json> {
        match *self.b.get(self.i)? {
            b'n' => self.literal("null", Json::Null),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'"' => self.string().map(Json::Str),
            b'[' => self.nested(|p| {
                let mut items = Vec::new();
                if p.eat(b']') {
                    return Some(Json::Array(items));
                }
                loop {
                    p.ws();
                    items.push(p.value()?);
                    p.ws();
                    if p.eat(b']') {
                        // Exact size: deep one-item nesting would otherwise hold 4 slots a level.
                        items.shrink_to_fit();
                        return Some(Json::Array(items));
                    }
                    if !p.eat(b',') {
                        return None;
                    }
                }
            }),
            b'{' => self.nested(|p| {
                let mut members = Vec::new();
                if p.eat(b'}') {
                    return Some(Json::Object(members));
                }
                loop {
                    p.ws();
                    let key = p.string()?;
                    p.ws();
                    if !p.eat(b':') {
                        return None;
                    }
                    p.ws();
                    members.push((key, p.value()?));
                    p.ws();
                    if p.eat(b'}') {
                        members.shrink_to_fit();
                        return Some(Json::Object(members));
                    }
                    if !p.eat(b',') {
                        return None;
                    }
                }
            }),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn nested(&mut self, inner: impl FnOnce(&mut Self) -> Option<Json>) -> Option<Json> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.ws();
        let v = inner(self);
        self.depth -= 1;
        v
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        self.eat(b'-');
        if self.eat(b'0') {
            if matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
                return None;
            }
        } else if self.digits() == 0 {
            return None;
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return None;
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).ok()?;
        Some(Json::Number(text.to_owned()))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.b.get(self.i..self.i + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(text, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !(self.eat(b'\\') && self.eat(b'u')) {
                                    return None;
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return None,
                _ => out.push(c),
            }
        }
    }
}

/// How a serializer lays JSON out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    /// Spaces per level; 0 writes one line.
    pub indent: usize,
    /// Between array items / object members on one line (`,` or `, `).
    pub item_sep: &'static str,
    /// Between a key and its value on one line (`:` or `: `); pretty output always uses `: `.
    pub key_sep: &'static str,
    /// Write `/` as `\/` (PHP).
    pub escape_slash: bool,
    /// Characters above this code point are written as `\uXXXX` (u32::MAX: none).
    pub escape_above: u32,
    /// Sort object keys by code point (Python's `sort_keys=True`).
    pub sort_keys: bool,
}

/// Characters a JS/serde/Go-style writer leaves raw.
pub(crate) const RAW: u32 = u32::MAX;
/// Python's `ensure_ascii=True` escapes everything outside `' '..='~'`.
pub(crate) const PY_ASCII: u32 = 0x7e;
/// PHP's `json_encode` escapes non-ASCII (DEL stays raw).
pub(crate) const PHP_ASCII: u32 = 0x7f;

/// Serializes `value` in `style`; `None` once the text passes `limit` bytes (indented forms of
/// deeply nested input grow with the square of the depth). Writing stops there, so the text held
/// never exceeds `limit` by more than one scalar.
pub(crate) fn write(value: &Json, style: &Style, limit: usize) -> Option<Vec<u8>> {
    let mut out = String::new();
    write_value(value, style, 0, limit, &mut out).then(|| out.into_bytes())
}

fn newline(style: &Style, level: usize, out: &mut String) {
    out.push('\n');
    out.extend(std::iter::repeat(' ').take(style.indent * level));
}

/// Writes `value`; false once `out` is over `limit` (checked before each value and after each
/// line break, where the text grows).
fn write_value(value: &Json, style: &Style, level: usize, limit: usize, out: &mut String) -> bool {
    if out.len() > limit {
        return false;
    }
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(n),
        Json::Str(s) => write_string(s, style, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(i, style, level, out);
                if !write_value(item, style, level + 1, limit, out) {
                    return false;
                }
            }
            close(items.is_empty(), style, level, ']', out);
        }
        Json::Object(members) => {
            let mut order: Vec<&(String, Json)> = members.iter().collect();
            if style.sort_keys {
                order.sort_by(|a, b| a.0.cmp(&b.0));
            }
            out.push('{');
            for (i, (key, item)) in order.into_iter().enumerate() {
                separator(i, style, level, out);
                write_string(key, style, out);
                out.push_str(if style.indent > 0 { ": " } else { style.key_sep });
                if !write_value(item, style, level + 1, limit, out) {
                    return false;
                }
            }
            close(members.is_empty(), style, level, '}', out);
        }
    }
    out.len() <= limit
}

fn separator(index: usize, style: &Style, level: usize, out: &mut String) {
    if style.indent > 0 {
        if index > 0 {
            out.push(',');
        }
        newline(style, level + 1, out);
    } else if index > 0 {
        out.push_str(style.item_sep);
    }
}

fn close(empty: bool, style: &Style, level: usize, bracket: char, out: &mut String) {
    if style.indent > 0 && !empty {
        newline(style, level, out);
    }
    out.push(bracket);
}

fn write_string(s: &str, style: &Style, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style.escape_slash => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > style.escape_above => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPACT: Style = Style { indent: 0, item_sep: ",", key_sep: ":", escape_slash: false, escape_above: RAW, sort_keys: false };

    #[test]
    fn round_trips_compact_text_and_keeps_numbers() {
        let text = r#"{"b":[1,-0.5e+10,true,null],"a":{"x":"caf\u00e9 \ud83d\ude00 /"},"e":{},"f":[]}"#;
        let v = parse(text.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(write(&v, &COMPACT, usize::MAX).unwrap()).unwrap(),
            "{\"b\":[1,-0.5e+10,true,null],\"a\":{\"x\":\"café 😀 /\"},\"e\":{},\"f\":[]}"
        );
        let php = Style { escape_slash: true, escape_above: PHP_ASCII, ..COMPACT };
        assert_eq!(
            String::from_utf8(write(&v, &php, usize::MAX).unwrap()).unwrap(),
            r#"{"b":[1,-0.5e+10,true,null],"a":{"x":"caf\u00e9 \ud83d\ude00 \/"},"e":{},"f":[]}"#
        );
        let pretty = Style { indent: 2, sort_keys: true, ..COMPACT };
        assert_eq!(
            String::from_utf8(write(&parse(br#"{"b":[1],"a":{}}"#).unwrap(), &pretty, usize::MAX).unwrap()).unwrap(),
            "{\n  \"a\": {},\n  \"b\": [\n    1\n  ]\n}"
        );
    }

    #[test]
    fn write_stops_past_its_limit() {
        let v = parse(br#"[[["abc"]],[1,2]]"#).unwrap();
        let full = write(&v, &COMPACT, usize::MAX).unwrap();
        assert_eq!(write(&v, &COMPACT, full.len()).as_deref(), Some(&full[..]));
        assert_eq!(write(&v, &COMPACT, full.len() - 1), None);
        let pretty = Style { indent: 4, ..COMPACT };
        assert_eq!(write(&v, &pretty, full.len()), None);
    }

    #[test]
    fn rejects_invalid_json() {
        for bad in ["", "{", "[1,]", "01", "1.", "\"\\ud800\"", "\"a\u{1}\"", "{\"a\" 1}", "nul", "[] x"] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(deep.as_bytes()).is_none());
    }
}
