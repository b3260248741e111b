//! `diagnose` for both JS backends (the wasm crate includes this file): options JSON in, the
//! core's report JSON out in its JS spelling (`Report::to_json_camel_case`: camelCase keys), so
//! native and wasm hand JS the same bytes, the CLI's `--json` report with JS keys.

use hookverify::diagnose::{diagnose_keys, HintCode};
use hookverify::verify::SchemeRef;
use hookverify::Result;

/// What JS sends: every request header as a name/value pair (detection looks at several), the
/// secrets in order, and a scheme (preset name or spec) or none to detect it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnoseOptions {
    headers: Vec<(String, String)>,
    secrets: Vec<String>,
    /// Public keys, for schemes with public-key signatures.
    #[serde(default, rename = "publicKeys")]
    public_keys: Vec<String>,
    #[serde(default)]
    scheme: Option<SchemeRef>,
    /// The URL the sender called and the method (schemes that sign them).
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    method: Option<String>,
}

/// The core's `Report::to_json_camel_case` for one delivery (JS keys are camelCase).
pub(crate) fn diagnose_json(options_json: &str, body: &[u8], now: i64) -> Result<String> {
    let opts: DiagnoseOptions = hookverify::options::from_json("diagnose", options_json)?;
    let scheme = opts.scheme.as_ref().map(SchemeRef::resolve).transpose()?;
    let target = hookverify::RequestTarget::new(opts.url.as_deref(), opts.method.as_deref());
    Ok(diagnose_keys(body, &opts.headers, &opts.secrets, &opts.public_keys, scheme.as_ref(), now, &target).to_json_camel_case())
}

/// Every hint code and its general fix, flattened as `[code, fix, code, fix, ...]` (`HintCode::ALL` order).
pub(crate) fn hint_table() -> Vec<String> {
    HintCode::ALL.iter().flat_map(|c| [c.as_str().to_owned(), c.fix().to_owned()]).collect()
}
