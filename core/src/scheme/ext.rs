//! The scheme features added for the provider catalog (issue 19): timestamp formats, `kv`
//! separators and keys, extra signature headers, and shared tokens. Kept apart from the core
//! parsers so the hot path of the original schemes stays as it was.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use subtle::ConditionallySelectable;

use super::{SchemeSpec, SignatureFormat, MAX_SIGNATURES};
use crate::error::{quote, Error, Result};
use crate::secret::Keyring;
use crate::verify::{parse_timestamp, MAX_TIMESTAMP};

/// How a scheme's signed timestamp is written (the header, the `kv` pair or the body field).
///
/// The MAC is always over the text as sent; the format only says how to read it for the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimestampFormat {
    /// Unix seconds, ASCII digits (Stripe, Slack, Standard Webhooks).
    #[default]
    Unix,
    /// Unix milliseconds, ASCII digits (Sanity, Linear, HubSpot v3).
    UnixMs,
    /// An RFC 3339 date-time (`2021-07-25T10:00:00Z`; Zendesk, Box, Twitch).
    Rfc3339,
}

impl TimestampFormat {
    /// Whether this is the default, unix seconds.
    pub fn is_unix(&self) -> bool {
        *self == TimestampFormat::Unix
    }

    /// A short description for messages.
    pub fn describe(self) -> &'static str {
        match self {
            TimestampFormat::Unix => "unix seconds",
            TimestampFormat::UnixMs => "unix milliseconds",
            TimestampFormat::Rfc3339 => "an RFC 3339 date-time",
        }
    }
}

/// How the event envelope's timestamp is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventTimestampFormat {
    /// Unix seconds (a JSON number or digit string) or an RFC 3339 string. A number past year 9999
    /// (13 or more digits: milliseconds) is an error, never a date 50 000 years ahead.
    #[default]
    Auto,
    /// Unix seconds only.
    Unix,
    /// Unix milliseconds (`1764547200000`); read as seconds, rounded down.
    UnixMs,
    /// RFC 3339 only.
    Rfc3339,
}

impl EventTimestampFormat {
    pub(crate) fn is_auto(&self) -> bool {
        *self == EventTimestampFormat::Auto
    }
}

/// Reads a signed timestamp written per `format`, as unix seconds (milliseconds rounded down).
pub(crate) fn parse_timestamp_as(format: TimestampFormat, source: &str, text: &str) -> Result<u64> {
    let bad = |reason: String| Error::MalformedTimestamp { header: source.to_owned(), reason };
    match format {
        TimestampFormat::Unix => parse_timestamp(source, text),
        TimestampFormat::UnixMs => {
            if text.is_empty() || text.len() > 16 || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("expected unix milliseconds as decimal digits, found {}", quote(text.as_bytes()))));
            }
            let ms: u64 = text.parse().map_err(|_| bad("not a number".into()))?;
            let seconds = ms / 1000;
            if seconds > MAX_TIMESTAMP {
                return Err(bad(format!("{text} ms is past year 9999")));
            }
            if text.len() <= 11 {
                // 10 or 11 digits in milliseconds is 1970: a seconds value sent where ms are declared.
                return Err(bad(format!("{text} is unix seconds, but this scheme's timestamps are in milliseconds")));
            }
            Ok(seconds)
        }
        TimestampFormat::Rfc3339 => rfc3339_seconds(text)
            .ok_or_else(|| bad(format!("expected an RFC 3339 date-time (2021-07-25T10:00:00Z), found {}", quote(text.as_bytes())))),
    }
}

/// Unix seconds of an RFC 3339 date-time in year 1970..=9999, `None` when it does not parse.
fn rfc3339_seconds(text: &str) -> Option<u64> {
    if text.len() > 64 {
        return None;
    }
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp()).ok().filter(|&s| s <= MAX_TIMESTAMP)
}

/// RFC 3339 UTC text of unix milliseconds, `YYYY-MM-DDTHH:MM:SSZ`, or with `millis`
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`; `None` outside the years 1..=9999 (four digits, as RFC 3339 writes them).
/// What `Signer` writes for an RFC 3339 timestamp and the CLI prints for a time.
pub fn rfc3339_utc(unix_ms: i64, millis: bool) -> Option<String> {
    let d = time::OffsetDateTime::from_unix_timestamp(unix_ms.div_euclid(1000)).ok().filter(|d| d.year() >= 1)?;
    let (date, time) = ((d.year(), u8::from(d.month()), d.day()), (d.hour(), d.minute(), d.second()));
    let text = format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", date.0, date.1, date.2, time.0, time.1, time.2);
    Some(if millis { format!("{text}.{:03}Z", unix_ms.rem_euclid(1000)) } else { text + "Z" })
}

/// Unix seconds of an event envelope timestamp written per `format`, `None` when it does not read.
pub(crate) fn parse_event_time_as(format: EventTimestampFormat, text: &str) -> Option<i64> {
    let digits =
        |t: &str| !t.is_empty() && t.len() <= 19 && t.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'));
    let rfc = |t: &str| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp());
    match format {
        EventTimestampFormat::Auto => {
            if digits(text) {
                text.parse::<i64>().ok().filter(|n| n.unsigned_abs() <= MAX_TIMESTAMP)
            } else {
                rfc(text)
            }
        }
        EventTimestampFormat::Unix => text.parse::<i64>().ok().filter(|n| digits(text) && n.unsigned_abs() <= MAX_TIMESTAMP),
        EventTimestampFormat::UnixMs => text.parse::<i64>().ok().filter(|_| digits(text)).map(|ms| ms.div_euclid(1000)),
        EventTimestampFormat::Rfc3339 => rfc(text),
    }
}

/// The rules of the `kv` separator and timestamp key.
pub(crate) fn check_kv(spec: &SchemeSpec) -> Result<()> {
    let invalid = |reason: String| Err(Error::InvalidScheme { reason });
    let sep = spec.kv_separator;
    if !(sep.is_ascii_punctuation()) || sep == '=' {
        return invalid(format!("`kv_separator` {sep:?} must be one ASCII punctuation character other than '='"));
    }
    let key = &spec.timestamp_key;
    // Empty: the header has no timestamp pair (PagerDuty's `v1=…,v1=…`).
    if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return invalid(format!("`timestamp_key` {key:?} must be letters, digits, '_' or '-' (or empty: no timestamp pair)"));
    }
    let customised = sep != ',' || key != "t";
    if customised && spec.signature_format != SignatureFormat::Kv {
        return invalid("`kv_separator` and `timestamp_key` apply to the `kv` format only".into());
    }
    Ok(())
}

/// The rules of `extra_signature_headers`.
pub(crate) fn check_extra_headers(spec: &SchemeSpec) -> Result<()> {
    let extra = &spec.extra_signature_headers;
    if extra.is_empty() {
        return Ok(());
    }
    let invalid = |reason: &str| Err(Error::InvalidScheme { reason: reason.into() });
    if spec.signature_format != SignatureFormat::Single {
        return invalid("`extra_signature_headers` needs `signature_format` single (one signature per header)");
    }
    if !spec.header_aliases.is_empty() {
        return invalid("`extra_signature_headers` and `header_aliases` cannot be combined");
    }
    if extra.len() >= MAX_SIGNATURES {
        return invalid("`extra_signature_headers` names at most 31 headers");
    }
    for name in extra {
        super::check_header_name("extra_signature_headers", name)?;
    }
    Ok(())
}

/// The rules of the token formats: the header is the whole credential, nothing else is read.
pub(crate) fn check_token_scheme(spec: &SchemeSpec) -> Result<()> {
    let plain = spec.signed_content == "{body}"
        && spec.prefix.is_empty()
        && spec.timestamp_header.is_none()
        && spec.id_header.is_none()
        && spec.tolerance_seconds.is_none()
        && spec.extra_signature_headers.is_empty()
        && !spec.reads_body_fields()
        && spec.header_aliases.iter().all(|a| a.timestamp_header.is_none() && a.id_header.is_none());
    if !plain {
        return Err(Error::InvalidScheme {
            reason: "a `token` or `basic` scheme carries a shared token and nothing else: leave `signed_content`, `prefix`, \
                     timestamp, id, tolerance, extra-header and body-field settings at their defaults"
                .into(),
        });
    }
    Ok(())
}

/// SHA-256 of a token, the form a token keyring holds and compares (constant time, any length).
pub(crate) fn token_digest(token: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(token).into()
}

/// Compares the credential in a `token` or `basic` header with every configured token, in
/// constant time and with no early exit; the first matching index. Errors never quote the value.
pub(crate) fn token_matches(keyring: &Keyring, format: SignatureFormat, header: &str, value: &str) -> Result<Option<usize>> {
    let decoded;
    let presented: &[u8] = match format {
        SignatureFormat::Basic => {
            let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(Error::malformed(header, "expected `Basic <base64 of user:password>`"));
            }
            decoded = zeroize::Zeroizing::new(
                STANDARD
                    .decode(rest.trim_start_matches(' '))
                    .map_err(|_| Error::malformed(header, "the Basic credentials are not base64"))?,
            );
            &decoded
        }
        _ => value.as_bytes(),
    };
    let digest = token_digest(presented);
    let mut found = subtle::Choice::from(0);
    let mut index = 0u32;
    for (i, want) in keyring.token_digests().iter().enumerate() {
        let this = subtle::Choice::from(u8::from(constant_time_eq::constant_time_eq_32(want, &digest)));
        index.conditional_assign(&(i as u32), this & !found);
        found |= this;
    }
    Ok(bool::from(found).then_some(index as usize))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_utc_of_known_instants() {
        use super::rfc3339_utc;
        // Reference values from `date -u -d @SECONDS` (GNU coreutils).
        assert_eq!(rfc3339_utc(0, false).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_700_000_000_000, false).unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_utc(951_782_400_000, false).unwrap(), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(0, true).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_utc(1_700_000_000_123, true).unwrap(), "2023-11-14T22:13:20.123Z");
        assert_eq!(rfc3339_utc(951_782_400_000, true).unwrap(), "2000-02-29T00:00:00.000Z");
        // `date -u -d @-1.5` and the last second of year 9999; past it, none.
        assert_eq!(rfc3339_utc(-1_500, true).unwrap(), "1969-12-31T23:59:58.500Z");
        assert_eq!(rfc3339_utc(253_402_300_799_000, false).unwrap(), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(253_402_300_800_000, false), None);
        // 0001-01-01T00:00:00Z is -62,135,596,800 s (Python `datetime(1, 1, 1, tzinfo=timezone.utc)`);
        // a second before it, none.
        assert_eq!(rfc3339_utc(-62_135_596_800_000, false).unwrap(), "0001-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(-62_135_596_801_000, false), None);
    }

    use super::*;

    #[test]
    fn timestamp_formats() {
        assert_eq!(parse_timestamp_as(TimestampFormat::UnixMs, "t", "1633519811129").unwrap(), 1_633_519_811);
        assert!(parse_timestamp_as(TimestampFormat::UnixMs, "t", "1633519811").is_err(), "seconds where ms are declared");
        assert!(parse_timestamp_as(TimestampFormat::UnixMs, "t", "-1633519811129").is_err());
        assert!(parse_timestamp_as(TimestampFormat::UnixMs, "t", "99999999999999999").is_err());
        assert_eq!(parse_timestamp_as(TimestampFormat::Rfc3339, "t", "2021-07-25T10:00:00Z").unwrap(), 1_627_207_200);
        assert_eq!(parse_timestamp_as(TimestampFormat::Rfc3339, "t", "2020-01-01T00:00:00-07:00").unwrap(), 1_577_862_000);
        assert_eq!(parse_timestamp_as(TimestampFormat::Rfc3339, "t", "2023-11-14T22:13:20.123456789Z").unwrap(), 1_700_000_000);
        for bad in ["1700000000", "2021-07-25 10:00:00", "1969-12-31T23:59:59Z", ""] {
            let err = parse_timestamp_as(TimestampFormat::Rfc3339, "t", bad).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::MalformedTimestamp, "{bad}");
        }
        assert_eq!(parse_timestamp_as(TimestampFormat::Unix, "t", "1700000000").unwrap(), 1_700_000_000);
    }

    #[test]
    fn event_time_formats() {
        use EventTimestampFormat::*;
        assert_eq!(parse_event_time_as(Auto, "1700000000"), Some(1_700_000_000));
        assert_eq!(parse_event_time_as(Auto, "2023-11-14T22:13:20Z"), Some(1_700_000_000));
        // A millisecond value is no longer read as seconds (a date 50 000 years ahead).
        assert_eq!(parse_event_time_as(Auto, "1700000000000"), None);
        assert_eq!(parse_event_time_as(UnixMs, "1700000000999"), Some(1_700_000_000));
        assert_eq!(parse_event_time_as(Unix, "2023-11-14T22:13:20Z"), None);
        assert_eq!(parse_event_time_as(Rfc3339, "1700000000"), None);
    }
}
