//! `hookverify serve` with public-key presets and a handshake verify token written in its TOML
//! (issue 19): `public_keys` for discord (Ed25519) and sendgrid (ECDSA P-256), `verify_tokens` for
//! Meta's GET subscription check, and a preset alias as the scheme. Discord deliveries are signed
//! here with ed25519-dalek and the RFC 8032 test key 1; the SendGrid delivery is the official SDK
//! vector from tests/vectors/presets.json. The daemon is stopped by its own pid.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use common::{bin, hmac_sha256_hex, vectors, Daemon};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;

/// RFC 8032 section 7.1, TEST 1: the secret key and its public key.
const RFC8032_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const META_SECRET: &str = "meta-app-secret-0123";
const VERIFY_TOKEN: &str = "QZverify-serve-1";
const TWITCH_SECRET: &str = "twitch-subscription-secret";

fn sendgrid_vector() -> Value {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(vectors().join("presets.json")).unwrap()).unwrap();
    doc["tests"].as_array().unwrap().iter().find(|t| t["id"] == "sendgrid-011").unwrap().clone()
}

fn setup() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hv-serve-asym-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sendgrid_key = sendgrid_vector()["public_keys"][0].as_str().unwrap().to_owned();
    let functions: String = ["discord", "sendgrid", "twitch", "whatsapp"]
        .map(|p| format!("[[function]]\nprovider = \"{p}\"\npath = \"{p}\"\nrun = [\"sh\", \"-c\", \"cat > /dev/null; echo \\\"ran $HOOKVERIFY_PROVIDER $HOOKVERIFY_EVENT_TYPE\\\"\"]\n\n"))
        .concat();
    let config = format!(
        r#"listen = "127.0.0.1:0"
mode = "sync"
store = "memory"

[[provider]]
scheme = "discord"
public_keys = ["{RFC8032_PUBLIC}"]

[[provider]]
scheme = "sendgrid"
public_keys = ["{sendgrid_key}"]
dangerously_skip_timestamp_check = true   # the SDK vector is from 2020

[[provider]]
scheme = "twitch"
secrets_env = "TWITCH_SECRETS"

[[provider]]
scheme = "whatsapp"
secrets_env = "META_SECRETS"
verify_tokens = ["{VERIFY_TOKEN}"]

{functions}"#
    );
    std::fs::write(dir.join("hookverify.toml"), config).unwrap();
    dir
}

fn serve(dir: &std::path::Path) -> Daemon {
    let mut cmd = bin();
    cmd.args(["serve", "--config"]).arg(dir.join("hookverify.toml")).env("META_SECRETS", META_SECRET).env("TWITCH_SECRETS", TWITCH_SECRET);
    Daemon::start(cmd)
}

fn get(port: u16, target: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap();
    (status, raw.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned())
}

fn discord_headers(body: &str) -> Vec<(String, String)> {
    let key = SigningKey::from_bytes(&hex::decode(RFC8032_SEED).unwrap().try_into().unwrap());
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    let sig = key.sign(format!("{ts}{body}").as_bytes());
    vec![
        ("X-Signature-Ed25519".into(), hex::encode(sig.to_bytes())),
        ("X-Signature-Timestamp".into(), ts),
        ("Content-Type".into(), "application/json".into()),
    ]
}

#[test]
fn serve_verifies_public_key_presets_and_answers_meta_from_its_toml() {
    let dir = setup();
    let mut d = serve(&dir);
    assert_eq!(
        SigningKey::from_bytes(&hex::decode(RFC8032_SEED).unwrap().try_into().unwrap()).verifying_key().to_bytes().to_vec(),
        hex::decode(RFC8032_PUBLIC).unwrap(),
        "the RFC's key pair"
    );

    // Discord: a fresh Ed25519 delivery runs its function; a PING is answered {"type":1}.
    let body = r#"{"id":"1100000000000000001","type":2,"data":{"name":"hello"}}"#;
    let (status, answer) = d.post("/discord", &discord_headers(body), body.as_bytes());
    assert_eq!(status, 200, "{answer}");
    let ping = r#"{"id":"1100000000000000002","type":1}"#;
    let (status, answer) = d.post("/discord", &discord_headers(ping), ping.as_bytes());
    assert_eq!((status, answer.as_str()), (200, r#"{"type":1}"#));
    // Signed with another key (the body changed after signing): refused.
    let mut forged = discord_headers(body);
    forged[0].1 = discord_headers(ping)[0].1.clone();
    let (status, answer) = d.post("/discord", &forged, body.as_bytes());
    assert_eq!(status, 401, "{answer}");

    // SendGrid: the official SDK vector, with its public key from the TOML.
    let t = sendgrid_vector();
    let headers: Vec<(String, String)> =
        t["headers"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
    let (status, answer) = d.post("/sendgrid", &headers, t["body"].as_str().unwrap().as_bytes());
    assert_eq!(status, 200, "{answer}");

    // Meta (configured by its alias `whatsapp`): the GET subscription check with the TOML's token,
    // then a signed delivery (HMAC-SHA256 by the `hmac` crate).
    let (status, answer) = get(d.port, &format!("/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}"));
    assert_eq!((status, answer.as_str()), (200, "1158201444"));
    let (status, answer) = get(d.port, "/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=QZverify-serve-2");
    assert_eq!(status, 403, "{answer}");
    assert!(!answer.contains("1158201444"), "nothing echoed: {answer}");
    let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{}}]}]}"#;
    let sig = format!("sha256={}", hmac_sha256_hex(META_SECRET, body.as_bytes()));
    let (status, answer) = d.post("/whatsapp", &[("X-Hub-Signature-256", sig.as_str())], body.as_bytes());
    assert_eq!(status, 200, "{answer}");

    // Twitch: the signed webhook_callback_verification is answered with its challenge (text/plain),
    // before any function; a wrongly signed one is refused.
    let body = r#"{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2","type":"channel.follow","version":"2"}}"#;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let ts = String::from_utf8(
        std::process::Command::new("date").args(["-u", "-d", &format!("@{now}"), "+%Y-%m-%dT%H:%M:%S.123456789Z"]).output().unwrap().stdout,
    )
    .unwrap();
    let (id, ts) = ("e76c6bd4-55c9-4987-8304-da1588d8988b", ts.trim());
    let sig = format!("sha256={}", hmac_sha256_hex(TWITCH_SECRET, format!("{id}{ts}{body}").as_bytes()));
    let mut headers = vec![
        ("Twitch-Eventsub-Message-Id", id.to_owned()),
        ("Twitch-Eventsub-Message-Timestamp", ts.to_owned()),
        ("Twitch-Eventsub-Message-Type", "webhook_callback_verification".to_owned()),
        ("Twitch-Eventsub-Message-Signature", sig),
    ];
    let (status, answer) = d.post("/twitch", &headers, body.as_bytes());
    assert_eq!((status, answer.as_str()), (200, "pogchamp-kappa-360noscope-vohiyo"));
    headers[3].1 = format!("sha256={}", hmac_sha256_hex("another-secret", format!("{id}{ts}{body}").as_bytes()));
    let (status, answer) = d.post("/twitch", &headers, body.as_bytes());
    assert_eq!(status, 401, "{answer}");
    assert!(!answer.contains("pogchamp"), "{answer}");

    d.stop();
    let log: Vec<String> = d.stderr.try_iter().collect();
    let log = log.join("\n");
    // The functions ran for each provider, the alias being the default provider name.
    for line in ["ran discord 2", "ran sendgrid events", "ran whatsapp whatsapp_business_account.messages"] {
        assert!(log.contains(line), "{line:?} not in the log:\n{log}");
    }
    assert!(!log.contains(VERIFY_TOKEN) && !log.contains(META_SECRET), "no token or secret in the log");
    let _ = std::fs::remove_dir_all(&dir);
}
