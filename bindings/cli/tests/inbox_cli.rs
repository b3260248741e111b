//! `hookverify inbox list|show|replay --config FILE` (issue 21, part 3) on the inbox a real
//! `serve` process filled: filters, JSON, the full record with every attempt, and replays that run
//! the config's function again (bypassing dedup) as new attempts, while `serve` runs on the same
//! inbox without taking the replayed event itself.

mod common;
#[path = "common/inbox.rs"]
mod inbox_common;

use std::path::Path;
use std::process::Output;

use common::bin;
use hookverify::inbox::State;
use inbox_common::{config, deliver, runs, serve, setup, wait_state};
use serde_json::Value;

fn inbox(dir: &Path, args: &[&str]) -> Output {
    bin().arg("inbox").arg(args[0]).arg("--config").arg(dir.join("hookverify.toml")).args(&args[1..]).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn list_show_and_replay_through_the_cli() {
    let dir = setup("cli", &config("").replace("max_attempts = 5", "max_attempts = 1"));
    let d = serve(&dir);
    assert_eq!(deliver(&d, "evt-ok", r#"{"say":"fine"}"#).0, 202);
    assert_eq!(deliver(&d, "evt-flaky", r#"{"say":"fail-twice"}"#).0, 202);
    let mut tampered = inbox_common::github("evt-bad", r#"{"say":"x"}"#);
    tampered.push(("Authorization".into(), "Bearer do-not-show".into()));
    assert_eq!(d.post("/hooks?tenant=7", &tampered, br#"{"say":"y"}"#).0, 401);
    wait_state(&dir, "evt-ok", State::Done, 10);
    wait_state(&dir, "evt-flaky", State::Failed, 10);

    // list: newest first, filters, JSON.
    let all = inbox(&dir, &["list"]);
    assert!(all.status.success(), "{}", stderr(&all));
    let text = stdout(&all);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.lines().next().unwrap().contains("rejected") && text.contains("no_matching_signature"), "{text}");
    let failed = stdout(&inbox(&dir, &["list", "--status", "failed"]));
    assert_eq!(failed.lines().count(), 1);
    assert!(failed.contains("evt-flaky") && failed.contains("attempts=1"), "{failed}");
    assert_eq!(stdout(&inbox(&dir, &["list", "--provider", "nobody"])).lines().count(), 0);
    let json: Value = serde_json::from_str(&stdout(&inbox(&dir, &["list", "--status", "done", "--json"]))).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(
        (json[0]["event_id"].as_str(), json[0]["state"].as_str(), json[0]["attempts"].as_u64()),
        (Some("evt-ok"), Some("done"), Some(1))
    );
    assert_eq!(inbox(&dir, &["list", "--status", "bogus"]).status.code(), Some(2));

    // show: by event id or record id; headers (credentials redacted), body, verdict, attempts.
    let shown: Value = serde_json::from_str(&stdout(&inbox(&dir, &["show", "evt-flaky", "--json"]))).unwrap();
    assert_eq!(shown["body"], r#"{"say":"fail-twice"}"#);
    assert_eq!(shown["verdict"], "accepted");
    assert_eq!(shown["attempts"].as_array().unwrap().len(), 1);
    assert!(shown["attempts"][0]["error"].as_str().unwrap().contains("exit status: 3"), "{shown}");
    let id = shown["id"].as_i64().unwrap().to_string();
    let by_id: Value = serde_json::from_str(&stdout(&inbox(&dir, &["show", &id, "--json"]))).unwrap();
    assert_eq!(by_id, shown);
    let rejected = stdout(&inbox(&dir, &["list", "--status", "rejected", "--json"]));
    let rid = serde_json::from_str::<Value>(&rejected).unwrap()[0]["id"].as_i64().unwrap().to_string();
    let text = stdout(&inbox(&dir, &["show", &rid]));
    assert!(text.contains("authorization: [redacted]") && !text.contains("do-not-show"), "{text}");
    assert!(text.contains("path: /hooks?tenant=7") && text.contains(r#"{"say":"y"}"#), "{text}");
    let missing = inbox(&dir, &["show", "no-such-event"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no record or event"), "{}", stderr(&missing));

    // replay, while serve runs on the same inbox: each a new attempt run here, once.
    let again = inbox(&dir, &["replay", "evt-flaky"]);
    assert_eq!(again.status.code(), Some(1), "the second run fails too: {}", stderr(&again));
    assert!(stderr(&again).contains("failed"), "{}", stderr(&again));
    let third = inbox(&dir, &["replay", &id]);
    assert!(third.status.success(), "the third run succeeds: {}", stderr(&third));
    let record = wait_state(&dir, "evt-flaky", State::Done, 5);
    let oks: Vec<_> = record.attempts.iter().map(|a| a.ok).collect();
    assert_eq!(oks, [Some(false), Some(false), Some(true)]);
    // A done event is replayed too (dedup bypassed): a fourth run.
    assert!(inbox(&dir, &["replay", "evt-ok"]).status.success());
    assert_eq!(wait_state(&dir, "evt-ok", State::Done, 5).attempts.len(), 2);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!((runs(&dir, "evt-flaky"), runs(&dir, "evt-ok")), (3, 2), "serve never ran a replayed event itself");
    // A refused delivery is not an event to replay.
    let refused = inbox(&dir, &["replay", &rid]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("not an accepted event"), "{}", stderr(&refused));
    drop(d);
}

#[test]
fn a_missing_inbox_file_is_an_error_and_is_not_created() {
    let dir = setup("nofile", &config(""));
    let out = inbox(&dir, &["list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no inbox at"), "{}", stderr(&out));
    assert!(!dir.join("inbox.db").exists());
}

#[test]
fn a_config_without_an_inbox_is_a_usage_error() {
    let dir = setup("noinbox", &config("").replace(r#"inbox = "inbox.db""#, ""));
    for cmd in [&["list"][..], &["show", "1"], &["replay", "1"]] {
        let out = inbox(&dir, cmd);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("no inbox"), "{}", stderr(&out));
    }
}

#[test]
fn show_prints_a_body_that_is_not_utf8_as_hex() {
    let dir = setup("hexbody", &config(""));
    let id = {
        let inbox = hookverify::inbox::SqliteInbox::open(dir.join("inbox.db")).unwrap();
        let headers = vec![("content-type".to_owned(), "application/octet-stream".to_owned())];
        let arrival = hookverify::inbox::Arrival {
            received_at_ms: 1_700_000_000_000,
            provider: Some("github"),
            path: "/hooks",
            query: None,
            headers: &headers,
            body: &[0xff, 0xfe, 0x00, 0x41],
            verdict: "no_matching_signature",
            status: 401,
            event_id: None,
            event_type: None,
            state: State::Rejected,
        };
        use hookverify::inbox::Inbox as _;
        inbox.record(&arrival).unwrap()
    };
    let out = inbox(&dir, &["show", &id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    // bytes.fromhex("fffe0041") in Python: the four bytes recorded.
    assert!(stdout(&out).contains("body (hex):\nfffe0041\n"), "{}", stdout(&out));
}
