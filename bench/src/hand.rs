//! The shared inputs and hand-written verifiers of the benchmarks: what a careful user writes for
//! one scheme on `hmac` + `sha2` (or `ring`), the signed cases, and the envelope a receiver parses.
//! Used by benches/verify.rs (criterion) and the interleaved runner (interleaved.rs).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use hookverify::{unix_now, Scheme, Signer};
use sha2::Sha256;

pub type HmacSha256 = Hmac<Sha256>;

/// The envelope fields a receiver needs, `data` left as borrowed raw JSON (what `verify_at` keeps too).
#[derive(serde::Deserialize)]
#[allow(dead_code)]
pub struct Envelope<'a> {
    #[serde(rename = "type", default)]
    event_type: Option<&'a str>,
    #[serde(default)]
    timestamp: Option<&'a str>,
    #[serde(borrow, default)]
    data: Option<&'a serde_json::value::RawValue>,
}

/// `hand_hmac`, then the envelope parsed with serde_json.
pub fn hand_hmac_parse(scheme: &str, key: &HmacSha256, headers: &[(String, String)], body: &[u8], now: i64) -> bool {
    hand_hmac(scheme, key, headers, body, now) && serde_json::from_slice::<Envelope<'_>>(body).is_ok()
}
pub type HeaderList = Vec<(String, String)>;

pub const SCHEMES: [&str; 5] = ["standard", "stripe", "github", "slack", "shopify"];
pub const SIZES: [(usize, &str); 4] = [(256, "256B"), (1024, "1KiB"), (16 * 1024, "16KiB"), (1024 * 1024, "1MiB")];

pub const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const UTF8_SECRET: &str = "It's a Secret to Everybody";
/// Fixed signing time for the schemes whose verifiers take `now` from us.
pub const FIXED_TS: i64 = 1_700_000_000;
pub const TOLERANCE: u64 = 300;

/// Envelope templates; `@PAD@` is replaced by filler so the body is exactly the target size.
pub fn template(scheme: &str) -> &'static str {
    match scheme {
        "standard" => {
            r#"{"type":"invoice.paid","timestamp":"2023-11-14T22:13:20Z","data":{"id":"inv_123","customer":"cus_42","amount":1999,"note":"@PAD@"}}"#
        }
        "stripe" => {
            r#"{"id":"evt_1NqF3x","object":"event","created":1700000000,"type":"invoice.paid","livemode":false,"data":{"object":{"id":"in_123","amount_due":1999,"description":"@PAD@"}}}"#
        }
        "github" => {
            r#"{"action":"opened","issue":{"number":1347,"title":"Found a bug","body":"@PAD@"},"repository":{"full_name":"octocat/Hello-World"},"sender":{"login":"octocat"}}"#
        }
        "slack" => {
            r#"{"team_id":"T123ABC456","event":{"type":"app_mention","user":"U123ABC456","text":"@PAD@","channel":"C123ABC456"},"type":"event_callback","event_id":"Ev123ABC456","event_time":1700000000}"#
        }
        "shopify" => r#"{"id":820982911946154508,"email":"jon@example.com","note":"@PAD@","total_price":"19.99","currency":"USD"}"#,
        other => panic!("no template for {other}"),
    }
}

/// A JSON envelope for `scheme` of exactly `size` bytes.
pub fn body(scheme: &str, size: usize) -> Vec<u8> {
    let t = template(scheme);
    let fixed = t.len() - "@PAD@".len();
    assert!(fixed <= size, "{scheme} envelope template is {fixed} bytes, larger than {size}");
    let filler: String = b"lorem ipsum dolor sit amet, ".iter().cycle().take(size - fixed).map(|&b| b as char).collect();
    let out = t.replace("@PAD@", &filler).into_bytes();
    assert_eq!(out.len(), size);
    out
}

/// One benchmark input: a signed body with every header its scheme's envelope needs.
pub struct Case {
    pub body: Vec<u8>,
    pub headers: HeaderList,
    /// The `now` handed to verifiers that take it (the signing time).
    pub now: i64,
}

impl Case {
    pub fn new(scheme: &'static str, size: usize) -> Case {
        let body = body(scheme, size);
        // Standard Webhooks peers read the system clock, so sign at the real time
        // (cases are rebuilt per body size, well inside the 5-minute window).
        let now = if scheme == "standard" { unix_now() } else { FIXED_TS };
        let secret = if scheme == "standard" { STANDARD_SECRET } else { UTF8_SECRET };
        let signer = Signer::new(Scheme::preset(scheme).unwrap(), secret).unwrap();
        let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
        let mut headers = signer.sign(&body, Some(id), Some(now)).unwrap();
        let extra: &[(&str, &str)] = match scheme {
            "github" => &[("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"), ("X-GitHub-Event", "issues")],
            "shopify" => &[
                ("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
                ("X-Shopify-Topic", "orders/create"),
                ("X-Shopify-Triggered-At", "2023-11-14T22:13:20Z"),
            ],
            _ => &[],
        };
        headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        // Ordinary request headers a real receiver also sees, so lookups are not trivially short.
        for (k, v) in [("Content-Type", "application/json"), ("User-Agent", "bench/1.0"), ("Accept", "*/*")] {
            headers.insert(0, (k.to_string(), v.to_string()));
        }
        Case { body, headers, now }
    }

    pub fn tampered(&self) -> Vec<u8> {
        let mut b = self.body.clone();
        let mid = b.len() / 2;
        b[mid] ^= 1;
        b
    }

    pub fn header_map(&self) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (k, v) in &self.headers {
            map.insert(http::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap(), v.parse().unwrap());
        }
        map
    }
}

pub fn key_bytes(scheme: &str) -> Vec<u8> {
    if scheme == "standard" {
        B64.decode(STANDARD_SECRET.strip_prefix("whsec_").unwrap()).unwrap()
    } else {
        UTF8_SECRET.as_bytes().to_vec()
    }
}

// ---------------------------------------------------------------------------
// The hand-written verifiers: what a careful user writes for one scheme.

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
}

pub fn in_window(ts: &str, now: i64) -> Option<()> {
    let ts: i64 = ts.parse().ok()?;
    ((now - ts).unsigned_abs() <= TOLERANCE).then_some(())
}

pub fn hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

pub fn b64_32(s: &str) -> Option<[u8; 32]> {
    let mut buf = [0u8; 48];
    let n = B64.decode_slice(s, &mut buf).ok()?;
    (n == 32).then(|| buf[..32].try_into().unwrap())
}

/// Up to 4 candidate tags from one header (standard's list may carry several).
#[derive(Default)]
pub struct Tags {
    tags: [[u8; 32]; 4],
    len: usize,
}

impl Tags {
    fn push(&mut self, tag: [u8; 32]) {
        if self.len < self.tags.len() {
            self.tags[self.len] = tag;
            self.len += 1;
        }
    }
    fn as_slice(&self) -> &[[u8; 32]] {
        &self.tags[..self.len]
    }
}

/// Header parse shared by the hmac+sha2 and ring hand-written verifiers:
/// the signed-content pieces before the body, and the candidate tags.
pub struct Parsed<'a> {
    before_body: [&'a [u8]; 4],
    tags: Tags,
}

pub fn parse_hand<'a>(scheme: &str, headers: &'a [(String, String)], now: i64) -> Option<Parsed<'a>> {
    const EMPTY: &[u8] = b"";
    let mut tags = Tags::default();
    let before_body = match scheme {
        "standard" => {
            let id = header(headers, "webhook-id")?;
            let ts = header(headers, "webhook-timestamp")?;
            in_window(ts, now)?;
            for entry in header(headers, "webhook-signature")?.split(' ') {
                if let Some(("v1", sig)) = entry.split_once(',') {
                    tags.push(b64_32(sig)?);
                }
            }
            [id.as_bytes(), b".", ts.as_bytes(), b"."]
        }
        "stripe" => {
            let mut ts = None;
            for pair in header(headers, "Stripe-Signature")?.split(',') {
                match pair.split_once('=')? {
                    ("t", t) => ts = Some(t),
                    ("v1", sig) => tags.push(hex32(sig)?),
                    _ => {}
                }
            }
            let ts = ts?;
            in_window(ts, now)?;
            [ts.as_bytes(), b".", EMPTY, EMPTY]
        }
        "github" => {
            tags.push(hex32(header(headers, "X-Hub-Signature-256")?.strip_prefix("sha256=")?)?);
            [EMPTY; 4]
        }
        "slack" => {
            let ts = header(headers, "X-Slack-Request-Timestamp")?;
            in_window(ts, now)?;
            tags.push(hex32(header(headers, "X-Slack-Signature")?.strip_prefix("v0=")?)?);
            [b"v0:", ts.as_bytes(), b":", EMPTY]
        }
        "shopify" => {
            tags.push(b64_32(header(headers, "X-Shopify-Hmac-Sha256")?)?);
            [EMPTY; 4]
        }
        other => panic!("no hand-written verifier for {other}"),
    };
    (tags.len > 0).then_some(Parsed { before_body, tags })
}

/// hmac + sha2 by hand; `key` was keyed once outside the loop and is cloned per message.
pub fn hand_hmac(scheme: &str, key: &HmacSha256, headers: &[(String, String)], body: &[u8], now: i64) -> bool {
    let Some(p) = parse_hand(scheme, headers, now) else { return false };
    let mut mac = key.clone();
    for piece in p.before_body {
        mac.update(piece);
    }
    mac.update(body);
    match p.tags.as_slice() {
        [only] => mac.verify_slice(only).is_ok(),
        many => many.iter().fold(false, |ok, tag| mac.clone().verify_slice(tag).is_ok() | ok),
    }
}

/// The same with ring::hmac (its `Key` also holds the precomputed pads).
pub fn hand_ring(scheme: &str, key: &ring::hmac::Key, headers: &[(String, String)], body: &[u8], now: i64) -> bool {
    let Some(p) = parse_hand(scheme, headers, now) else { return false };
    let mut ctx = ring::hmac::Context::with_key(key);
    for piece in p.before_body {
        ctx.update(piece);
    }
    ctx.update(body);
    let expected = ctx.sign();
    #[allow(deprecated)]
    let eq = |tag: &[u8; 32]| ring::constant_time::verify_slices_are_equal(expected.as_ref(), tag).is_ok();
    p.tags.as_slice().iter().fold(false, |ok, tag| eq(tag) | ok)
}
