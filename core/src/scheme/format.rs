//! Parsers for the three signature-header layouts: `single`, `list`, `kv`.
//!
//! They only split text; decoding and length checks happen in `verify`, so
//! the rules for "what counts as a signature" live in one place per layout.

use super::{SchemeSpec, SignatureFormat};
use crate::error::{quote, Error, Result};

/// Upper bound on signatures read from one header (bounded work on hostile input).
pub(crate) const MAX_SIGNATURES: usize = 32;

/// What a signature header holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ParsedHeader<'a> {
    /// Encoded signatures of the expected version, prefix removed.
    pub signatures: Vec<&'a str>,
    /// The `t=` value of a kv header.
    pub timestamp: Option<&'a str>,
    /// Version labels seen that are not the expected one (for messages and diagnose).
    pub other_versions: Vec<&'a str>,
}

/// Splits a (trimmed, validated) signature header value per the scheme's format.
pub(crate) fn parse_signature_header<'a>(spec: &SchemeSpec, header: &str, value: &'a str) -> Result<ParsedHeader<'a>> {
    if value.is_empty() {
        return Err(Error::malformed(header, "the header is empty"));
    }
    let parsed = match spec.signature_format {
        SignatureFormat::Single => parse_single(spec, header, value)?,
        SignatureFormat::List => parse_list(spec, header, value)?,
        SignatureFormat::Kv => parse_kv(spec, header, value)?,
    };
    if parsed.signatures.len() > MAX_SIGNATURES {
        return Err(Error::malformed(header, format!("more than {MAX_SIGNATURES} signatures")));
    }
    Ok(parsed)
}

fn parse_single<'a>(spec: &SchemeSpec, header: &str, value: &'a str) -> Result<ParsedHeader<'a>> {
    let sig = value.strip_prefix(spec.prefix.as_str()).ok_or_else(|| {
        Error::malformed(header, format!("expected the value to start with {:?}, found {}", spec.prefix, quote(value.as_bytes())))
    })?;
    if sig.is_empty() {
        return Err(Error::malformed(header, format!("no signature after {:?}", spec.prefix)));
    }
    Ok(ParsedHeader { signatures: vec![sig], ..ParsedHeader::default() })
}

fn parse_list<'a>(spec: &SchemeSpec, header: &str, value: &'a str) -> Result<ParsedHeader<'a>> {
    let mut out = ParsedHeader::default();
    for entry in value.split(' ') {
        if entry.is_empty() {
            return Err(Error::malformed(header, "empty entry (entries are separated by a single space)"));
        }
        let (version, sig) = entry
            .split_once(',')
            .ok_or_else(|| Error::malformed(header, format!("expected `<version>,<signature>` entries, found {}", quote(entry.as_bytes()))))?;
        if version == spec.signature_version {
            let sig = sig.strip_prefix(spec.prefix.as_str()).unwrap_or("");
            if sig.is_empty() {
                return Err(Error::malformed(header, format!("entry `{version},` has no signature")));
            }
            out.signatures.push(sig);
        } else {
            out.other_versions.push(version);
        }
    }
    Ok(out)
}

fn parse_kv<'a>(spec: &SchemeSpec, header: &str, value: &'a str) -> Result<ParsedHeader<'a>> {
    let mut out = ParsedHeader::default();
    for pair in value.split(',') {
        let (key, val) = pair
            .split_once('=')
            .ok_or_else(|| Error::malformed(header, format!("expected comma-separated `key=value` pairs, found {}", quote(pair.as_bytes()))))?;
        if key.is_empty() {
            return Err(Error::malformed(header, "a pair has an empty key"));
        }
        if key == "t" {
            if out.timestamp.is_some() {
                return Err(Error::malformed(header, "`t=` appears more than once (ambiguous timestamp)"));
            }
            out.timestamp = Some(val);
        } else if key == spec.signature_version {
            let sig = val.strip_prefix(spec.prefix.as_str()).unwrap_or("");
            if sig.is_empty() {
                return Err(Error::malformed(header, format!("`{key}=` has no signature")));
            }
            out.signatures.push(sig);
        } else {
            out.other_versions.push(key);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::Scheme;

    fn spec(name: &str) -> SchemeSpec {
        Scheme::preset(name).unwrap().spec().clone()
    }

    #[test]
    fn kv_collects_every_v1_and_ignores_v0() {
        let p = parse_signature_header(&spec("stripe"), "Stripe-Signature", "t=1,v1=aa,v0=bb,v1=cc").unwrap();
        assert_eq!(p.timestamp, Some("1"));
        assert_eq!(p.signatures, ["aa", "cc"]);
        assert_eq!(p.other_versions, ["v0"]);
    }

    #[test]
    fn kv_rejects_duplicate_t_and_bare_keys() {
        let s = spec("stripe");
        for bad in ["t=1,t=2,v1=aa", "t,v1=aa", ",,", "t=1,v1=", "=x,t=1"] {
            assert!(parse_signature_header(&s, "Stripe-Signature", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn list_splits_on_single_spaces() {
        let s = spec("standard");
        let p = parse_signature_header(&s, "webhook-signature", "v1,aaa= v2,bbb= v1,ccc=").unwrap();
        assert_eq!(p.signatures, ["aaa=", "ccc="]);
        assert_eq!(p.other_versions, ["v2"]);
        assert!(parse_signature_header(&s, "webhook-signature", "v1,a  v1,b").is_err());
        assert!(parse_signature_header(&s, "webhook-signature", "v1,").is_err());
        assert!(parse_signature_header(&s, "webhook-signature", "v1a").is_err());
    }

    #[test]
    fn single_requires_prefix() {
        let s = spec("github");
        assert_eq!(parse_signature_header(&s, "h", "sha256=ab").unwrap().signatures, ["ab"]);
        assert!(parse_signature_header(&s, "h", "sha256=").is_err());
        assert!(parse_signature_header(&s, "h", "SHA256=ab").is_err());
        assert!(parse_signature_header(&s, "h", "ab").is_err());
    }
}
