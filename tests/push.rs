//! Integration tests: the `[[notify]]` channels, each against a real receiver started by the
//! test — a program for `command`, an HTTP server on loopback for the rest — with the clock
//! pinned by `--at`.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::support::cli::{Outcome, Scratch};
use crate::support::http_server::{Answer, HttpServer, Request};

const TOKEN: &str = "tok-Secret-8c1f2d-plugh";
/// A Standard Webhooks secret: `whsec_` and the base64 of the key bytes.
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Two numbers: +965… due (7d window on 23 Nov, act-by 30 Nov), +44… in grace from 1 Dec.
fn config(notify: &str, numbers_extra: &str) -> String {
    format!(
        r#"
[settings]
timezone = "UTC"
remind_before = ["7d", "0d"]

{notify}

[carriers.prepaid]
name = "Zain Kuwait prepaid"
topup_valid_for = "30d"
grace = "30d"

[[number]]
number = "+965 5123 4567"
label = "Kuwait line"
carrier = "prepaid"
last_topup = 2026-11-01
{numbers_extra}

[[number]]
number = "+44 7700 900123"
label = "UK line"
carrier = "prepaid"
last_topup = 2026-12-20
"#
    )
}

fn run_once(scratch: &Scratch, at: &str) -> Outcome {
    scratch
        .numkeep(&["run", "--once", "--at", at])
        .env("NUMKEEP_HTTP_TIMEOUT_SECS", "2")
        .output()
}

/// A program that records its arguments, stdin and environment in the scratch directory and
/// exits with the code in `exit-code` (0 without it).
fn recorder(scratch: &Scratch) -> String {
    let script = scratch.path("record.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\ndir=$(dirname \"$0\")\nprintf '%s\\n' \"$@\" > \"$dir/args.txt\"\ncat > \"$dir/stdin.json\"\nprintf '%s' \"$NUMKEEP_TITLE\" > \"$dir/title.txt\"\nprintf '%s' \"$NUMKEEP_BODY\" > \"$dir/body.txt\"\necho call >> \"$dir/calls\"\nexit $(cat \"$dir/exit-code\" 2>/dev/null || echo 0)\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script.display().to_string()
}

/// Whether the state file holds `channel` as pending.
fn pending(scratch: &Scratch, channel: &str) -> bool {
    let state: serde_json::Value = serde_json::from_str(&scratch.read("state/state.json")).unwrap();
    state["pending"].get(channel).is_some()
}

fn calls(scratch: &Scratch) -> usize {
    std::fs::read_to_string(scratch.path("calls")).map_or(0, |text| text.lines().count())
}

#[test]
fn command_runs_without_a_shell_once_per_key_and_failures_stay_pending() {
    let scratch = Scratch::new();
    let script = recorder(&scratch);
    scratch.write("victim", "still here");
    let notify = format!(
        "[[notify]]\nname = \"script\"\ntype = \"command\"\nargv = [\"{script}\", \"--tag\", \"urgent; rm -rf victim\", \"$HOME\"]\ntimeout = \"10s\"\n"
    );
    scratch.write("config.toml", &config(&notify, ""));
    run_once(&scratch, "2026-11-23T09:00").success();
    assert_eq!(calls(&scratch), 1);
    // argv went to the program as written: no shell split, expanded or ran anything.
    assert_eq!(
        scratch.read("args.txt"),
        "--tag\nurgent; rm -rf victim\n$HOME\n"
    );
    assert_eq!(scratch.read("victim"), "still here");
    let stdin: serde_json::Value = serde_json::from_str(&scratch.read("stdin.json")).unwrap();
    assert_eq!(stdin["event"], "numkeep.reminders");
    let numbers = stdin["numbers"].as_array().unwrap();
    assert_eq!(numbers.len(), 1);
    assert_eq!(numbers[0]["number"], "+96551234567");
    assert_eq!(numbers[0]["act_by"], "2026-11-30");
    assert_eq!(numbers[0]["state"], "due");
    assert_eq!(numbers[0]["obligations"][0]["rule"], "topup_valid_for");
    let title = scratch.read("title.txt");
    assert!(title.starts_with("numkeep: +96551234567 by"), "{title}");
    let body = scratch.read("body.txt");
    assert!(body.contains("+96551234567 (Kuwait line)"), "{body}");
    assert!(body.contains("Top up"), "{body}");

    // Once per key: the same day again sends nothing.
    run_once(&scratch, "2026-11-23T10:00").success();
    assert_eq!(calls(&scratch), 1);

    // A non-zero exit: pending, named in the state with its channel, then retried.
    scratch.write("exit-code", "3");
    let outcome = run_once(&scratch, "2026-11-30T09:00").expect_code(1);
    assert!(
        outcome.stderr.contains("exit status 3"),
        "{}",
        outcome.stderr
    );

    assert!(
        pending(&scratch, "notify:script"),
        "{}",
        scratch.read("state/state.json")
    );
    assert_eq!(calls(&scratch), 2);
    std::fs::remove_file(scratch.path("exit-code")).unwrap();
    run_once(&scratch, "2026-11-30T10:00").success();
    assert_eq!(calls(&scratch), 3);
    let state = scratch.read("state/state.json");
    assert!(
        !pending(&scratch, "notify:script"),
        "{}",
        scratch.read("state/state.json")
    );
    assert!(
        state.contains("notify:script|+96551234567|topup_valid_for|2026-11-30|lead:0d"),
        "{state}"
    );
    run_once(&scratch, "2026-11-30T11:00").success();
    assert_eq!(calls(&scratch), 3);
}

fn process_gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
        Err(_) => true,
        // A zombie waiting for a parent that no longer cares is gone too.
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn command_timeout_kills_it_and_its_children_and_keeps_the_reminder_pending() {
    let scratch = Scratch::new();
    let script = scratch.path("slow.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\ndir=$(dirname \"$0\")\necho $$ > \"$dir/pid\"\nsleep 30 &\necho $! > \"$dir/child\"\nwait\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let notify = format!(
        "[[notify]]\nname = \"slow\"\ntype = \"command\"\nargv = [\"{}\"]\ntimeout = \"1s\"\n",
        script.display()
    );
    scratch.write("config.toml", &config(&notify, ""));
    let started = Instant::now();
    let outcome = run_once(&scratch, "2026-11-23T09:00").expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(
        outcome
            .stderr
            .contains("did not finish within 1 seconds and was killed"),
        "{}",
        outcome.stderr
    );
    assert!(pending(&scratch, "notify:slow"));
    let deadline = Instant::now() + Duration::from_secs(5);
    for file in ["pid", "child"] {
        let pid = scratch.read(file);
        while !process_gone(&pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(process_gone(&pid), "{file} {pid} still runs");
    }
}

/// The Standard Webhooks signature computed independently: HMAC-SHA256 (the `hmac` and
/// `sha2` crates) of `id.timestamp.body`, keyed by the base64-decoded secret.
fn expected_signature(request: &Request) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(WEBHOOK_SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let id = request.header("webhook-id").unwrap();
    let timestamp = request.header("webhook-timestamp").unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    format!("v1,{}", engine.encode(mac.finalize().into_bytes()))
}

#[test]
fn webhook_is_signed_idempotent_across_retries_and_sent_once() {
    let server = HttpServer::start(vec![Answer::Status(503, "busy")], Answer::Status(204, ""));
    let scratch = Scratch::new();
    scratch.write("webhook-secret", &format!("{WEBHOOK_SECRET}\n"));
    let notify = format!(
        "[[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{}\"\nsecret_file = \"{}\"\n",
        server.url("/hooks/numkeep?x=1"),
        scratch.path("webhook-secret").display()
    );
    scratch.write("config.toml", &config(&notify, ""));
    let outcome = run_once(&scratch, "2026-11-23T09:00").expect_code(1);
    assert!(outcome.stderr.contains("HTTP 503"), "{}", outcome.stderr);
    run_once(&scratch, "2026-11-23T10:00").success();
    run_once(&scratch, "2026-11-23T11:00").success();
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "a failure, its retry, then nothing");
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/hooks/numkeep?x=1");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            request.header("webhook-signature"),
            Some(expected_signature(request).as_str())
        );
        let timestamp: i64 = request
            .header("webhook-timestamp")
            .unwrap()
            .parse()
            .unwrap();
        // The real clock, not --at's.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((now - timestamp).abs() < 120, "{timestamp} vs {now}");
        let json = request.json();
        assert_eq!(json["event"], "numkeep.reminders");
        assert_eq!(json["numbers"][0]["number"], "+96551234567");
        assert_eq!(json["numbers"][0]["label"], "Kuwait line");
    }
    let id = requests[0].header("webhook-id").unwrap();
    assert!(id.starts_with("msg_"), "{id}");
    assert_eq!(
        requests[1].header("webhook-id"),
        Some(id),
        "a retry of the same reminders keeps its id"
    );
}

#[test]
fn ntfy_publishes_json_to_the_server_root_with_priority_and_token() {
    let server = HttpServer::start(vec![], Answer::Status(200, "{\"id\":\"x\"}"));
    let scratch = Scratch::new();
    scratch.write("ntfy-token", TOKEN);
    let notify = format!(
        "[[notify]]\nname = \"phone\"\ntype = \"ntfy\"\nurl = \"{}\"\ntoken_file = \"{}\"\n",
        server.url("/numkeep-8c1f2d"),
        scratch.path("ntfy-token").display()
    );
    scratch.write(
        "config.toml",
        &config(&notify, "").replace("[settings]\n", "[settings]\nlanguage = \"zh-CN\"\n"),
    );
    run_once(&scratch, "2026-11-23T09:00").success();
    // In grace on 2 Dec: high priority.
    run_once(&scratch, "2026-12-02T09:00").success();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
    let first = requests[0].json();
    assert_eq!(first["topic"], "numkeep-8c1f2d");
    assert_eq!(first["priority"], 3);
    let title = first["title"].as_str().unwrap();
    assert!(
        title.starts_with("numkeep：请在"),
        "Chinese survives: {title}"
    );
    assert!(
        first["message"].as_str().unwrap().contains("充值"),
        "{}",
        first["message"]
    );
    assert_eq!(requests[1].json()["priority"], 4);
}

#[test]
fn telegram_needs_ok_true_and_a_permanent_failure_blocks_no_other_channel() {
    let telegram = HttpServer::start(
        vec![Answer::Status(
            200,
            "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}",
        )],
        Answer::Status(200, "{\"ok\":true,\"result\":{}}"),
    );
    let refusing = HttpServer::start(vec![], Answer::Status(400, "{\"error\":\"nope\"}"));
    let scratch = Scratch::new();
    let script = recorder(&scratch);
    let notify = format!(
        "[[notify]]\nname = \"tg\"\ntype = \"telegram\"\nchat_id = \"123456789\"\napi_base = \"{}\"\n\n\
         [[notify]]\nname = \"broken\"\ntype = \"webhook\"\nurl = \"{}\"\n\n\
         [[notify]]\nname = \"script\"\ntype = \"command\"\nargv = [\"{script}\"]\n",
        telegram.url("/tgapi"),
        refusing.url("/hook"),
    );
    scratch.write("config.toml", &config(&notify, ""));
    let outcome = scratch
        .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
        .env("NUMKEEP_NOTIFY_TG", TOKEN)
        .output()
        .expect_code(1);
    assert!(
        outcome.stderr.contains("chat not found"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("HTTP 400"), "{}", outcome.stderr);
    assert_eq!(calls(&scratch), 1, "the command got its message");

    assert!(
        pending(&scratch, "notify:tg"),
        "{}",
        scratch.read("state/state.json")
    );
    assert!(
        pending(&scratch, "notify:broken"),
        "{}",
        scratch.read("state/state.json")
    );
    assert!(
        !pending(&scratch, "notify:script"),
        "{}",
        scratch.read("state/state.json")
    );

    // Retried: telegram now answers ok; the broken webhook stays pending; the command is done.
    let outcome = scratch
        .numkeep(&["run", "--once", "--at", "2026-11-23T10:00"])
        .env("NUMKEEP_NOTIFY_TG", TOKEN)
        .output()
        .expect_code(1);
    assert_eq!(calls(&scratch), 1);
    let requests = telegram.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].path, format!("/tgapi/bot{TOKEN}/sendMessage"));
    let json = requests[1].json();
    assert_eq!(json["chat_id"], "123456789");
    assert!(
        json["text"]
            .as_str()
            .unwrap()
            .starts_with("numkeep: +96551234567")
    );

    assert!(
        !pending(&scratch, "notify:tg"),
        "{}",
        scratch.read("state/state.json")
    );
    assert!(
        pending(&scratch, "notify:broken"),
        "{}",
        scratch.read("state/state.json")
    );
    // The token is in telegram's URL path: it never reaches the output.
    assert!(!outcome.stderr.contains(TOKEN) && !outcome.stdout.contains(TOKEN));
}

#[test]
fn a_hanging_service_times_out_and_stays_pending() {
    let server = HttpServer::start(vec![Answer::Hang], Answer::Status(200, ""));
    let scratch = Scratch::new();
    let notify = format!(
        "[[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{}\"\n",
        server.url("/")
    );
    scratch.write("config.toml", &config(&notify, ""));
    let started = Instant::now();
    run_once(&scratch, "2026-11-23T09:00").expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(pending(&scratch, "notify:hook"));
    run_once(&scratch, "2026-11-23T10:00").success();
    assert_eq!(server.requests().len(), 2);
    // Unsigned without a secret.
    assert_eq!(server.requests()[1].header("webhook-signature"), None);
}

#[test]
fn a_numbers_notify_list_limits_its_channels() {
    let server = HttpServer::start(vec![], Answer::Status(200, ""));
    let scratch = Scratch::new();
    let script = recorder(&scratch);
    let notify = format!(
        "[[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{}\"\n\n[[notify]]\nname = \"script\"\ntype = \"command\"\nargv = [\"{script}\"]\n",
        server.url("/")
    );
    scratch.write("config.toml", &config(&notify, "notify = [\"hook\"]"));
    run_once(&scratch, "2026-11-23T09:00").success();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(calls(&scratch), 0, "the number is limited to the webhook");
}

#[test]
fn test_alert_names_every_channel_with_what_happened_and_secrets_never_print() {
    let ntfy = HttpServer::start(vec![], Answer::Status(200, "{}"));
    let refusing = HttpServer::start(vec![], Answer::Status(401, "{\"error\":\"unauthorized\"}"));
    let scratch = Scratch::new();
    let script = recorder(&scratch);
    scratch.write("credentials/notify-phone", TOKEN);
    scratch.write("hook-secret", WEBHOOK_SECRET);
    let notify = format!(
        "[[notify]]\nname = \"phone\"\ntype = \"ntfy\"\nurl = \"{}\"\n\n\
         [[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{}\"\nsecret_file = \"{}\"\n\n\
         [[notify]]\nname = \"script\"\ntype = \"command\"\nargv = [\"{script}\"]\n\n\
         [[notify]]\nname = \"tg\"\ntype = \"telegram\"\nchat_id = \"1\"\napi_base = \"{}\"\n",
        ntfy.url("/alerts"),
        refusing.url("/hook"),
        scratch.path("hook-secret").display(),
        refusing.url(""),
    );
    scratch.write("config.toml", &config(&notify, ""));
    let outcome = scratch
        .numkeep(&["test-alert"])
        .env("CREDENTIALS_DIRECTORY", scratch.path("credentials"))
        .env("RUST_LOG", "trace")
        .output()
        .expect_code(1);
    let out = &outcome.stdout;
    assert!(
        out.contains("notify:phone (ntfy): ok (accepted by the service)"),
        "{out}"
    );
    assert!(
        out.contains("notify:hook (webhook): failed: HTTP 401"),
        "{out}"
    );
    assert!(
        out.contains("  hint: the service refused the credentials"),
        "{out}"
    );
    assert!(
        out.contains("notify:script (command): ok (the command exited 0)"),
        "{out}"
    );
    assert!(
        out.contains("notify:tg (telegram): failed: no bot token found"),
        "{out}"
    );
    assert!(
        out.contains("NUMKEEP_NOTIFY_TG or the systemd credential notify-tg"),
        "{out}"
    );
    assert_eq!(
        ntfy.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    for secret in [TOKEN, WEBHOOK_SECRET, &WEBHOOK_SECRET[6..]] {
        for text in [&outcome.stdout, &outcome.stderr] {
            assert!(!text.contains(secret), "{secret} printed:\n{text}");
        }
    }
    // A run at trace level prints none either, nor does the state keep one.
    let outcome = scratch
        .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
        .env("CREDENTIALS_DIRECTORY", scratch.path("credentials"))
        .env("NUMKEEP_NOTIFY_TG", TOKEN)
        .env("RUST_LOG", "trace")
        .output();
    let state = scratch.read("state/state.json");
    for secret in [TOKEN, WEBHOOK_SECRET, &WEBHOOK_SECRET[6..]] {
        for text in [&outcome.stdout, &outcome.stderr, &state] {
            assert!(!text.contains(secret), "{secret} printed:\n{text}");
        }
    }
}

#[test]
fn notify_entries_are_checked() {
    let scratch = Scratch::with_config(&config(
        "[[notify]]\nname = \"phone\"\ntype = \"nfty\"\n\n\
         [[notify]]\nname = \"plain\"\ntype = \"webhook\"\nurl = \"http://example.org/hook\"\n\n\
         [[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"https://example.org/hook\"\n\n\
         [[notify]]\nname = \"x\"\ntype = \"command\"\nargv = [\"/bin/true\"]\ntimeout = \"3d\"\n\n\
         [[notify]]\nname = \"x\"\ntype = \"command\"\nargv = [\"/bin/true\"]\ntoken_file = \"t\"\n",
        "notify = [\"hok\"]",
    ));
    let outcome = scratch.numkeep(&["check"]).output().expect_code(2);
    let err = &outcome.stderr;
    assert!(
        err.contains("unknown [[notify]] type \"nfty\"; did you mean \"ntfy\"?"),
        "{err}"
    );
    assert!(
        err.contains("plain http sends reminders and tokens in clear text"),
        "{err}"
    );
    assert!(
        err.contains("`timeout` must be a duration from 1s to 24h"),
        "{err}"
    );
    assert!(
        err.contains("unknown key `token_file` in a [[notify]] entry of type \"command\""),
        "{err}"
    );
    assert!(err.contains("`notify` names \"hok\", which is not the name of a [[notify]] entry; did you mean \"hook\"?"), "{err}");
    for line in err
        .lines()
        .filter(|line| line.contains(": ") && line.starts_with('/'))
    {
        assert!(line.contains("config.toml:"), "{line}");
    }
}

#[test]
fn bark_serverchan_and_pushplus_use_their_apis_and_success_codes() {
    let bark = HttpServer::start(
        vec![],
        Answer::Status(200, "{\"code\":200,\"message\":\"success\"}"),
    );
    let serverchan = HttpServer::start(
        vec![Answer::Status(
            200,
            "{\"code\":40001,\"message\":\"bad key\"}",
        )],
        Answer::Status(200, "{\"code\":0,\"message\":\"\"}"),
    );
    let pushplus = HttpServer::start(vec![], Answer::Status(200, "{\"code\":200,\"msg\":\"ok\"}"));
    let scratch = Scratch::new();
    scratch.write("bark-key", "barkKey123");
    scratch.write("sc-key", "SCT999keyx");
    scratch.write("pp-token", "pptoken456");
    let notify = format!(
        "[[notify]]\nname = \"iphone\"\ntype = \"bark\"\ndevice_key_file = \"{}\"\nserver = \"{}\"\n\n\
         [[notify]]\nname = \"wechat\"\ntype = \"serverchan\"\nsendkey_file = \"{}\"\nserver = \"{}\"\n\n\
         [[notify]]\nname = \"pp\"\ntype = \"pushplus\"\ntoken_file = \"{}\"\nserver = \"{}\"\n",
        scratch.path("bark-key").display(),
        bark.url(""),
        scratch.path("sc-key").display(),
        serverchan.url(""),
        scratch.path("pp-token").display(),
        pushplus.url(""),
    );
    scratch.write("config.toml", &config(&notify, ""));
    let run = |at: &str| scratch.numkeep(&["run", "--once", "--at", at]).output();
    let outcome = run("2026-11-23T09:00").expect_code(1);
    assert!(outcome.stderr.contains("bad key"), "{}", outcome.stderr);
    run("2026-11-23T10:00").success();
    run("2026-11-23T11:00").success();

    let bark = bark.requests();
    assert_eq!(bark.len(), 1);
    assert_eq!(
        (bark[0].method.as_str(), bark[0].path.as_str()),
        ("POST", "/push")
    );
    let json = bark[0].json();
    assert_eq!(json["device_key"], "barkKey123");
    assert_eq!(json["group"], "numkeep");
    assert_eq!(json["level"], "active");
    assert!(json["title"].as_str().unwrap().starts_with("numkeep: "));

    let serverchan = serverchan.requests();
    assert_eq!(serverchan.len(), 2, "refused in a 200, then retried");
    assert_eq!(serverchan[1].path, "/SCT999keyx.send");
    assert!(
        serverchan[1].json()["desp"]
            .as_str()
            .unwrap()
            .contains("+96551234567")
    );

    let pushplus = pushplus.requests();
    assert_eq!(pushplus.len(), 1);
    assert_eq!(pushplus[0].path, "/send");
    assert_eq!(pushplus[0].json()["token"], "pptoken456");
    assert_eq!(pushplus[0].json()["template"], "txt");
}

/// Kills `run --once` with SIGKILL at instants spread over a send to a slow webhook (before
/// it, while the receiver holds the request, after the answer): whatever the instant, a
/// later run delivers what was not recorded, and nothing is recorded that was not accepted.
#[test]
fn a_push_channel_loses_nothing_across_kill_9() {
    let server = HttpServer::start(vec![], Answer::Slow(400, 200, ""));
    let scratch = Scratch::new();
    let notify = format!(
        "[[notify]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"{}\"\n",
        server.url("/")
    );
    scratch.write("config.toml", &config(&notify, ""));
    // Delays from 0 to 1.2 s, past a whole run (a start, a 0.4 s answer, the save).
    let delays = [0, 150, 300, 450, 600, 750, 900, 1200];
    let mut killed_in_flight = 0;
    for delay in delays {
        let before = server.requests().len();
        let mut child = scratch
            .numkeep(&["run", "--once", "--at", "2026-11-23T09:00"])
            .command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let sent = server.requests().len() > before;
        if sent && !status.success() && pending_or_due(&scratch) {
            killed_in_flight += 1;
        }
        // The state file is always whole.
        if let Ok(text) = std::fs::read_to_string(scratch.path("state/state.json")) {
            serde_json::from_str::<serde_json::Value>(&text).expect("a whole state file");
        }
    }
    run_once(&scratch, "2026-11-23T09:00").success();
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(requests.len() <= delays.len() + 1, "{}", requests.len());
    for request in &requests {
        assert_eq!(request.json()["numbers"][0]["number"], "+96551234567");
    }
    assert!(
        killed_in_flight > 0,
        "no kill fell between the request and the record"
    );
    // Recorded now: once more sends nothing.
    let count = requests.len();
    run_once(&scratch, "2026-11-23T10:00").success();
    assert_eq!(server.requests().len(), count);
}

/// Whether the webhook's reminder is not yet recorded as done.
fn pending_or_due(scratch: &Scratch) -> bool {
    std::fs::read_to_string(scratch.path("state/state.json")).map_or(true, |text| {
        !text.contains("notify:hook|+96551234567|topup_valid_for|2026-11-30|lead:7d")
    })
}
