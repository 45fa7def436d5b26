//! The local API end to end: a real `slate serve` on a free port, driven over HTTP
//! (reqwest) and its WebSocket (tokio-tungstenite) as any client would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const SLATE: &str = env!("CARGO_BIN_EXE_slate");

/// A sandbox (data dir, workspace, HOME) for one test.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["data", "ws", "home"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Self { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(SLATE);
        c.args(args)
            .env("SLATE_DATA_DIR", self.data())
            .env("SLATE_WORKSPACE", self.dir.path().join("ws"))
            .env("HOME", self.dir.path().join("home"))
            .env_remove("SLATE_GPU_REPLAY");
        c
    }

    /// `slate ARGS…` to completion: (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    /// Starts `slate serve --port 0 EXTRA…` and waits for its `serve.json`.
    #[allow(clippy::zombie_processes)] // `Served` kills and waits on drop
    fn serve(&self, extra: &[&str]) -> Served {
        let serve_json = self.data().join("serve.json");
        let mut args = vec!["serve", "--port", "0"];
        args.extend_from_slice(extra);
        let child = self
            .cmd(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(text) = std::fs::read_to_string(&serve_json)
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && v["pid"] == pid
            {
                let token = std::fs::read_to_string(self.data().join("api-token")).unwrap();
                return Served {
                    child,
                    base: v["address"].as_str().unwrap().to_string(),
                    token: token.trim().to_string(),
                    http: reqwest::Client::new(),
                };
            }
            assert!(Instant::now() < deadline, "slate serve wrote no serve.json");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A running `slate serve`.
struct Served {
    child: Child,
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn submit(&self, steps: u32, interval: f64) -> u64 {
        let (st, body) = self
            .send(
                reqwest::Method::POST,
                "/v1/tasks",
                Some(json!({"function": "demo/countdown", "params": {"steps": steps, "interval": interval}})),
            )
            .await;
        assert_eq!(st, 201, "submit: {body}");
        body["task"]["id"].as_u64().unwrap()
    }

    async fn task(&self, id: u64) -> Value {
        let (st, body) = self.get(&format!("/v1/tasks/{id}")).await;
        assert_eq!(st, 200, "{body}");
        body
    }

    async fn wait_state(&self, id: u64, states: &[&str], secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let t = self.task(id).await;
            if states.iter().any(|s| t["state"] == *s) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "task {id} never reached {states:?}: {t}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn events(&self, query: &str) -> Events {
        let url = format!("{}/v1/events{query}", self.base.replace("http://", "ws://"));
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", self.token).parse().unwrap(),
        );
        let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        Events {
            ws,
            seen: Vec::new(),
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One WebSocket client, keeping every frame it received.
struct Events {
    ws: Ws,
    seen: Vec<Value>,
}

impl Events {
    async fn request(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    async fn next(&mut self, secs: u64) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(secs), self.ws.next())
                .await
                .expect("no event in time")
                .expect("the stream ended")
                .expect("a websocket error");
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                self.seen.push(v.clone());
                return v;
            }
        }
    }

    async fn until(&mut self, secs: u64, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let recent = || {
                self.seen
                    .iter()
                    .rev()
                    .take(12)
                    .map(|v| format!("{} {} {}", v["type"], v["task"]["id"], v["task"]["state"]))
                    .collect::<Vec<_>>()
            };
            assert!(
                !left.is_zero(),
                "timed out waiting for {what}; last frames {:?}",
                recent()
            );
            let got = tokio::time::timeout(left, self.ws.next()).await;
            let Ok(msg) = got else {
                panic!("timed out waiting for {what}; last frames {:?}", recent());
            };
            let msg = msg.expect("the stream ended").expect("a websocket error");
            let Message::Text(t) = msg else { continue };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            self.seen.push(v.clone());
            if pred(&v) {
                return v;
            }
        }
    }
}

/// One server at a time: each test starts its own `slate serve` and tasks, and their
/// timing limits are for one studio on the machine, not nine at once.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn is_update(v: &Value, id: u64, state: &str) -> bool {
    v["type"] == "task.updated" && v["task"]["id"] == id && v["task"]["state"] == state
}

fn seqs(frames: &[Value]) -> Vec<u64> {
    frames.iter().filter_map(|v| v["seq"].as_u64()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_progress_cancel_retry_and_pause_over_http_and_websocket() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sb = Sandbox::new();
    let s = sb.serve(&[]);
    let mut ev = s.events("?topics=task,queue").await;
    let snap = ev.next(10).await;
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(snap["fresh"], false);

    // Submit: progress events, then success.
    let a = s.submit(5, 0.05).await;
    ev.until(10, "task.submitted", |v| {
        v["type"] == "task.submitted" && v["task"]["id"] == a
    })
    .await;
    ev.until(20, "task.progress", |v| {
        v["type"] == "task.progress" && v["id"] == a
    })
    .await;
    ev.until(20, "success", |v| is_update(v, a, "succeeded"))
        .await;
    assert_eq!(s.task(a).await["state"], "succeeded");

    // Cancel a running task; a second cancel is a conflict.
    let b = s.submit(1000, 0.1).await;
    s.wait_state(b, &["running"], 20).await;
    let (st, body) = s
        .send(
            reqwest::Method::POST,
            &format!("/v1/tasks/{b}/cancel"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{body}");
    ev.until(20, "cancelled", |v| is_update(v, b, "cancelled"))
        .await;
    let (st, body) = s
        .send(
            reqwest::Method::POST,
            &format!("/v1/tasks/{b}/cancel"),
            None,
        )
        .await;
    assert_eq!(st, 409, "{body}");
    assert_eq!(body["error"]["kind"], "conflict");

    // Retry: queued again, then it runs.
    let (st, body) = s
        .send(reqwest::Method::POST, &format!("/v1/tasks/{b}/retry"), None)
        .await;
    assert_eq!(st, 200, "{body}");
    ev.until(10, "requeued", |v| is_update(v, b, "queued"))
        .await;
    s.wait_state(b, &["running"], 20).await;
    s.send(
        reqwest::Method::POST,
        &format!("/v1/tasks/{b}/cancel"),
        None,
    )
    .await;
    s.wait_state(b, &["cancelled"], 20).await;

    // Pause: nothing starts until resumed.
    let (st, _) = s
        .send(
            reqwest::Method::PUT,
            "/v1/queue",
            Some(json!({"paused": true})),
        )
        .await;
    assert_eq!(st, 200);
    ev.until(10, "queue.paused", |v| {
        v["type"] == "queue.paused" && v["paused"] == true
    })
    .await;
    let c = s.submit(2, 0.01).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(s.task(c).await["state"], "queued", "started while paused");
    let (_, q) = s.get("/v1/queue").await;
    assert_eq!(q["paused"], true);
    s.send(
        reqwest::Method::PUT,
        "/v1/queue",
        Some(json!({"paused": false})),
    )
    .await;
    ev.until(20, "c succeeded", |v| is_update(v, c, "succeeded"))
        .await;

    // Sequence numbers rise by one with no gaps (topics filter only what is sent, so
    // compare against an unfiltered client below) and never repeat.
    let s_all = seqs(&ev.seen);
    assert!(s_all.windows(2).all(|w| w[0] < w[1]), "seq not increasing");

    // The list, filtered and paged.
    let (st, page) = s.get("/v1/tasks?state=succeeded&sort=-id&limit=1").await;
    assert_eq!(st, 200);
    assert_eq!(page["total"], 2);
    assert_eq!(page["tasks"][0]["id"], c);
    let (st, logs) = s.get(&format!("/v1/tasks/{a}/logs?limit=2")).await;
    assert_eq!(st, 200, "{logs}");
    assert_eq!(logs["lines"].as_array().unwrap().len(), 2);
    // Each line as printed, behind its stream; its time beside it, not in it.
    assert!(
        logs["lines"][0]
            .as_str()
            .is_some_and(|l| l.starts_with("out ") || l.starts_with("err ")),
        "{logs}"
    );
    assert!(
        logs["times"][0]
            .as_str()
            .is_some_and(|t| t.len() == 24 && t.ends_with('Z')),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_see_the_same_events_in_the_same_order() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sb = Sandbox::new();
    let s = sb.serve(&[]);
    let mut one = s.events("").await;
    let mut two = s.events("").await;
    one.next(10).await;
    two.next(10).await;
    let ids = [
        s.submit(4, 0.02).await,
        s.submit(4, 0.02).await,
        s.submit(4, 0.02).await,
    ];
    // Tasks may end in any order: one seen ending earlier is not waited for again.
    for id in ids {
        for client in [&mut one, &mut two] {
            if !client.seen.iter().any(|v| is_update(v, id, "succeeded")) {
                client
                    .until(30, "done", |v| is_update(v, id, "succeeded"))
                    .await;
            }
        }
    }
    let last = *seqs(&one.seen).last().unwrap();
    while seqs(&two.seen).last() < Some(&last) {
        two.next(10).await;
    }
    let trim = |v: &[Value]| -> Vec<Value> {
        v.iter()
            .filter(|e| e["seq"].as_u64().is_some_and(|s| s <= last) && e["type"] != "snapshot")
            .cloned()
            .collect()
    };
    let (a, b) = (trim(&one.seen), trim(&two.seen));
    assert!(a.len() > 10, "too few events to compare: {}", a.len());
    assert_eq!(a, b, "two clients saw different events or orders");
    let s = seqs(&a);
    assert!(
        s.windows(2).all(|w| w[1] == w[0] + 1),
        "a gap in the sequence: {s:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reconnects_with_since_gets_every_missed_event_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sb = Sandbox::new();
    let s = sb.serve(&[]);
    let mut steady = s.events("").await;
    steady.next(10).await;
    let mut flaky = s.events("").await;
    flaky.next(10).await;
    let id = s.submit(40, 0.02).await;
    flaky
        .until(20, "some progress", |v| {
            v["type"] == "task.progress" && v["id"] == id
        })
        .await;
    let last = *seqs(&flaky.seen).last().unwrap();
    let before: Vec<Value> = flaky.seen.clone();
    drop(flaky); // killed mid-run
    steady
        .until(30, "done", |v| is_update(v, id, "succeeded"))
        .await;
    let mut again = s.events(&format!("?since={last}")).await;
    let end = *seqs(&steady.seen).last().unwrap();
    while seqs(&again.seen).last() < Some(&end) {
        again.next(10).await;
    }
    assert!(
        again.seen.iter().all(|v| v["type"] != "snapshot"),
        "replayed, not a snapshot"
    );
    let mut joined: Vec<Value> = before
        .into_iter()
        .filter(|v| v["type"] != "snapshot")
        .collect();
    joined.extend(
        again
            .seen
            .iter()
            .filter(|v| v["seq"].as_u64() <= Some(end))
            .cloned(),
    );
    let reference: Vec<Value> = steady
        .seen
        .iter()
        .filter(|v| v["type"] != "snapshot" && v["seq"].as_u64() <= Some(end))
        .cloned()
        .collect();
    assert_eq!(
        seqs(&joined),
        seqs(&reference),
        "missed or duplicated events"
    );
    assert_eq!(joined, reference);

    // A since older than anything this server numbered gets a fresh snapshot, flagged.
    let mut old = s.events("?since=1").await;
    let first = old.next(10).await;
    assert_eq!(first["type"], "snapshot");
    assert_eq!(first["fresh"], true);
    assert_eq!(first["reason"], "since_too_old");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_the_documented_status_and_change_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sb = Sandbox::new();
    let s = sb.serve(&[]);
    let client = reqwest::Client::new();
    let shape = |body: &Value, kind: &str| {
        assert_eq!(body["error"]["kind"], kind, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(body["error"]["fields"].is_array());
    };
    let (st, body) = s.get("/v1/tasks/987654321").await;
    assert_eq!(st, 404);
    shape(&body, "not_found");
    let (st, body) = s.get("/v1/tasks/not-a-number").await;
    assert_eq!(st, 400);
    shape(&body, "bad_request");

    let post = |body: String, token: Option<&str>, origin: Option<&str>| {
        let mut r = client
            .post(s.url("/v1/tasks"))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        async move {
            let r = r.send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let good = json!({"function": "demo/countdown", "params": {"steps": 2}}).to_string();
    let token = s.token.clone();
    let cases: Vec<(&str, u16, &str, (u16, Value))> = vec![
        (
            "bad JSON",
            400,
            "bad_request",
            post("{\"function\": ".into(), Some(&token), None).await,
        ),
        (
            "wrong types",
            400,
            "bad_request",
            post(
                json!({"function": 5, "params": []}).to_string(),
                Some(&token),
                None,
            )
            .await,
        ),
        (
            "refused fields",
            422,
            "invalid",
            post(
                json!({"function": "demo/countdown", "params": {"steps": -4}}).to_string(),
                Some(&token),
                None,
            )
            .await,
        ),
        (
            "no token",
            401,
            "unauthorized",
            post(good.clone(), None, None).await,
        ),
        (
            "wrong token",
            401,
            "unauthorized",
            post(good.clone(), Some(&"0".repeat(64)), None).await,
        ),
        (
            "cross-site Origin",
            403,
            "forbidden",
            post(good.clone(), Some(&token), Some("http://evil.example")).await,
        ),
        (
            "oversized body",
            413,
            "too_large",
            post(
                json!({"function": "demo/countdown", "params": {"pad": "x".repeat(2 << 20)}})
                    .to_string(),
                Some(&token),
                None,
            )
            .await,
        ),
    ];
    for (what, want, kind, (status, body)) in cases {
        assert_eq!(status, want, "{what}: {body}");
        shape(&body, kind);
    }
    let invalid = post(
        json!({"function": "demo/countdown", "params": {"steps": -4}}).to_string(),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        invalid.1["error"]["fields"][0]["field"], "steps",
        "{}",
        invalid.1
    );
    // Sec-Fetch-Site: cross-site is refused too, with the token.
    let r = client
        .get(s.url("/v1/tasks"))
        .bearer_auth(&token)
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // The event stream without a token: refused.
    let url = format!("{}/v1/events", s.base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    ws.send(Message::Text(json!({"token": "nope"}).to_string().into()))
        .await
        .unwrap();
    let first = ws.next().await.unwrap().unwrap();
    assert!(
        first.to_text().unwrap().contains("unauthorized"),
        "{first:?}"
    );
    // …and with the token in its first message, accepted.
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::Text(json!({"token": token}).to_string().into()))
        .await
        .unwrap();
    let first = ws.next().await.unwrap().unwrap();
    assert!(
        first.to_text().unwrap().contains("\"snapshot\""),
        "{first:?}"
    );

    // Nothing was queued by any of them.
    let (st, page) = s.get("/v1/tasks").await;
    assert_eq!(st, 200);
    assert_eq!(
        page["total"], 0,
        "a refused request changed something: {page}"
    );
}

/// Reads events from whichever server serves the data dir, reconnecting with `since`
/// on its own when the connection drops, until `done` holds for the states it saw.
async fn follow_with_reconnect(
    data: &Path,
    secs: u64,
    done: impl Fn(&BTreeMap<u64, String>) -> bool,
) -> (BTreeMap<u64, String>, usize) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut states = BTreeMap::new();
    let mut since: Option<u64> = None;
    let mut connects = 0;
    while Instant::now() < deadline {
        let Ok(text) = std::fs::read_to_string(data.join("serve.json")) else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(info) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let token = std::fs::read_to_string(data.join("api-token")).unwrap();
        let q = since.map(|s| format!("?since={s}")).unwrap_or_default();
        let url = format!(
            "{}/v1/events{q}",
            info["address"]
                .as_str()
                .unwrap()
                .replace("http://", "ws://")
        );
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", token.trim()).parse().unwrap(),
        );
        let Ok((mut ws, _)) = tokio_tungstenite::connect_async(req).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        connects += 1;
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await
        {
            let Message::Text(t) = msg else { continue };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            since = v["seq"].as_u64().or(since);
            if v["type"] == "snapshot" {
                for t in v["tasks"].as_array().unwrap() {
                    states.insert(
                        t["id"].as_u64().unwrap(),
                        t["state"].as_str().unwrap().to_string(),
                    );
                }
            } else if v["type"] == "task.updated" || v["type"] == "task.submitted" {
                states.insert(
                    v["task"]["id"].as_u64().unwrap(),
                    v["task"]["state"].as_str().unwrap().to_string(),
                );
            }
            if done(&states) {
                return (states, connects);
            }
        }
    }
    panic!("gave up following events: {states:?}");
}

fn terminal(s: &str) -> bool {
    matches!(s, "succeeded" | "failed" | "cancelled" | "interrupted")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_run_and_restart_accounts_for_every_task() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sb = Sandbox::new();
    let s = sb.serve(&[]);
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(s.submit(30, 0.05).await);
    }
    s.wait_state(ids[0], &["running"], 20).await;
    let data = sb.data();
    let want = ids.clone();
    let follower = tokio::spawn(async move {
        follow_with_reconnect(&data, 120, move |st| {
            want.iter()
                .all(|id| st.get(id).is_some_and(|s| terminal(s)))
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // SIGKILL: no goodbye, serve.json stays behind (stale).
    let mut s = s;
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    assert!(
        sb.data().join("serve.json").exists(),
        "a killed server cannot clean up"
    );
    let s2 = sb.serve(&[]);
    let (states, connects) = follower.await.unwrap();
    assert!(connects >= 2, "the client did not reconnect on its own");
    for id in &ids {
        let t = s2.task(*id).await;
        assert!(terminal(t["state"].as_str().unwrap()), "task {id}: {t}");
        assert_eq!(states[id], t["state"].as_str().unwrap());
    }
    let (_, page) = s2.get("/v1/tasks").await;
    assert_eq!(
        page["total"],
        ids.len(),
        "a task was lost or duplicated: {page}"
    );
}

#[test]
fn serve_until_idle_drains_30_tasks_through_5_sigkills() {
    let _one = ONE_AT_A_TIME.blocking_lock();
    let sb = Sandbox::new();
    for _ in 0..30 {
        let (code, out, err) = sb.run(&[
            "run",
            "demo/countdown",
            "--param",
            "steps=4",
            "--param",
            "interval=0.1",
            "--detach",
        ]);
        assert_eq!(code, 0, "{out}{err}");
    }
    let mut killed = 0;
    for kill in 0..5 {
        let mut child = sb
            .cmd(&["serve", "--port", "0", "--until-idle"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(900 + 100 * kill));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
    }
    assert_eq!(
        killed, 5,
        "the queue drained before five kills: make the tasks longer"
    );
    let started = Instant::now();
    let status = sb
        .cmd(&["serve", "--port", "0", "--until-idle"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "serve --until-idle exited {status}");
    assert!(started.elapsed() < Duration::from_secs(120));
    assert!(
        !sb.data().join("serve.json").exists(),
        "serve.json left behind"
    );
    let (code, out, err) = sb.run(&["tasks", "--json"]);
    assert_eq!(code, 0, "{err}");
    let tasks: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(tasks.len(), 30, "{out}");
    assert!(
        tasks.iter().any(|t| t["attempts"].as_u64() > Some(1)),
        "no task was cut by a kill and run again: the kills missed the running tasks"
    );
    for t in &tasks {
        let state = t["state"].as_str().unwrap();
        // demo/countdown is re-queued after an interrupt, so every task ends succeeded.
        assert_eq!(state, "succeeded", "task {}: {t}", t["id"]);
        let out = PathBuf::from(t["output_dir"].as_str().unwrap()).join("countdown.txt");
        assert!(
            out.exists(),
            "task {} succeeded without its output",
            t["id"]
        );
    }
}

#[test]
fn serve_refuses_a_second_owner_replaces_a_stale_file_and_stops_on_sigterm() {
    let _one = ONE_AT_A_TIME.blocking_lock();
    let sb = Sandbox::new();
    // A stale file from a crashed server: replaced.
    std::fs::write(
        sb.data().join("serve.json"),
        json!({"pid": 999_999_999u64, "address": "http://127.0.0.1:1", "port": 1, "protocol": 1,
               "version": "0", "owner": "serve", "started_ms": 0})
        .to_string(),
    )
    .unwrap();
    let s = sb.serve(&[]);
    let (code, _, err) = sb.run(&["serve", "--port", "0"]);
    assert_ne!(code, 0);
    assert!(err.contains("already serves"), "{err}");
    // CLI commands are clients of it.
    let (code, out, err) = sb.run(&["run", "demo/countdown", "--param", "steps=1", "--detach"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&s.base),
        "not queued through the server: {out}"
    );
    let (code, out, _) = sb.run(&["run", "nope/nothing", "--detach"]);
    assert_eq!(code, 2, "{out}");
    // SIGTERM: graceful, the file removed.
    let pid = s.child.id() as i32;
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let mut s = s;
    let deadline = Instant::now() + Duration::from_secs(15);
    while s.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "serve ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(s.child.try_wait().unwrap().unwrap().success());
    assert!(!sb.data().join("serve.json").exists());
}

#[test]
fn the_spec_is_openapi_3_1_and_served_the_same() {
    let _one = ONE_AT_A_TIME.blocking_lock();
    let sb = Sandbox::new();
    let (code, spec, _) = sb.run(&["api", "spec"]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&spec).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for p in [
        "/v1/tasks",
        "/v1/tasks/{id}",
        "/v1/tasks/{id}/cancel",
        "/v1/queue",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing from the spec");
    }
    let s = sb.serve(&[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (st, served) = rt.block_on(s.get("/v1/openapi.json"));
    assert_eq!(st, 200);
    assert_eq!(served, doc);
    // Loopback is both families: a client that resolves `localhost` to ::1 gets the
    // same server on the same port.
    let port = s.base.rsplit(':').next().unwrap().to_string();
    assert!(
        std::net::TcpListener::bind("[::1]:0").is_ok(),
        "this machine has no IPv6 loopback (::1), which this test needs"
    );
    let v6 = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("http://[::1]:{port}/v1/system"))
            .bearer_auth(&s.token)
            .send()
            .await
    });
    assert_eq!(v6.expect("serve does not answer on [::1]").status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_queues_one_task_and_requests_over_the_socket_get_replies() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sb = Sandbox::new();
    let s = sb.serve(&[]);
    s.send(
        reqwest::Method::PUT,
        "/v1/queue",
        Some(json!({"paused": true})),
    )
    .await;
    let body = json!({"function": "demo/countdown", "params": {"steps": 2}, "idempotency_key": "shot-7-take-1"});
    let (st1, first) = s
        .send(reqwest::Method::POST, "/v1/tasks", Some(body.clone()))
        .await;
    let (st2, again) = s.send(reqwest::Method::POST, "/v1/tasks", Some(body)).await;
    assert_eq!((st1, st2), (201, 200), "{first} {again}");
    assert_eq!(first["task"]["id"], again["task"]["id"]);
    let (_, page) = s.get("/v1/tasks").await;
    assert_eq!(page["total"], 1);

    // The same calls over the event socket, each answered with its request id.
    let id = first["task"]["id"].as_u64().unwrap();
    let mut ev = s.events("?topics=queue").await;
    ev.next(10).await;
    ev.request(json!({"id": 41, "command": {"type": "task.cancel", "id": id}}))
        .await;
    let r = ev
        .until(10, "reply 41", |v| v["type"] == "reply" && v["id"] == 41)
        .await;
    assert_eq!(r["ok"]["state"], "cancelled", "{r}");
    ev.request(json!({"id": 42, "command": {"type": "task.cancel", "id": 999_999}}))
        .await;
    let r = ev
        .until(10, "reply 42", |v| v["type"] == "reply" && v["id"] == 42)
        .await;
    assert_eq!(r["error"]["kind"], "not_found", "{r}");
    ev.request(json!({"id": 43, "command": {"type": "no.such"}}))
        .await;
    let r = ev
        .until(10, "reply 43", |v| v["type"] == "reply" && v["id"] == 43)
        .await;
    assert_eq!(r["error"]["kind"], "bad_request", "{r}");
}

/// Projects, story, git and LFS over HTTP, and the CLI's `project`, `git` and `lfs` as
/// clients of the serving Slate: one implementation, which honours the Settings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_git_and_lfs_over_http_and_the_cli_as_a_client() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sb = Sandbox::new();
    // The window's Settings: no LFS for new projects.
    std::fs::write(
        sb.data().join("settings.toml"),
        "[workspace]\nlfs_enabled = false\n",
    )
    .unwrap();
    let s = sb.serve(&[]);
    let mut ev = s.events("?topics=project").await;

    // Created by the CLI, through the server: the server's clients hear of it.
    let (code, out, err) = sb.run(&["project", "new", "Le Voyage", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let made: Value = serde_json::from_str(&out).unwrap();
    let folder = made["folder"].as_str().unwrap().to_string();
    ev.until(20, "the new project in a project.listed event", |v| {
        v["type"] == "project.listed"
            && v["projects"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["folder"] == folder.as_str()))
    })
    .await;
    let project = PathBuf::from(made["path"].as_str().unwrap());
    let attributes = std::fs::read_to_string(project.join(".gitattributes")).unwrap_or_default();
    assert!(
        !attributes.contains("filter=lfs"),
        "Settings say no LFS, yet: {attributes}"
    );

    // The same project over HTTP (a folder name with a space, percent-encoded).
    let p = folder.replace(' ', "%20");
    let (st, show) = s.get(&format!("/v1/projects/{p}")).await;
    assert_eq!(st, 200, "{show}");
    let chapters = show["manifest"]["narrative"]["chapters"]
        .as_array()
        .unwrap()
        .len();
    let (st, edited) = s
        .send(
            reqwest::Method::POST,
            &format!("/v1/projects/{p}/edit"),
            Some(json!({"op": "add_chapter", "name": "Epilogue"})),
        )
        .await;
    assert_eq!(st, 200, "{edited}");
    let (_, show) = s.get(&format!("/v1/projects/{p}")).await;
    assert_eq!(
        show["manifest"]["narrative"]["chapters"]
            .as_array()
            .unwrap()
            .len(),
        chapters + 1
    );
    // The CLI inside the project sees the same story.
    let (code, out, err) = sb
        .cmd(&["project", "show"])
        .current_dir(&project)
        .output()
        .map(|o| {
            (
                o.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&o.stdout).to_string(),
                String::from_utf8_lossy(&o.stderr).to_string(),
            )
        })
        .unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Epilogue"), "{out}");

    // LFS: track over HTTP, listed by the CLI.
    let (st, body) = s
        .send(
            reqwest::Method::POST,
            &format!("/v1/projects/{p}/lfs/track"),
            Some(json!({"pattern": "*.exr"})),
        )
        .await;
    assert_eq!((st, body["changed"].clone()), (200, json!(true)), "{body}");
    let (code, out, _) = sb.run(&["--project", &folder, "lfs", "status", "--json"]);
    assert_eq!(code, 0);
    let lfs: Value = serde_json::from_str(&out).unwrap();
    assert!(
        lfs["patterns"]
            .as_array()
            .unwrap()
            .contains(&json!("*.exr")),
        "{lfs}"
    );

    // Git: commit, tag, log, show, rollback.
    let (st, status) = s.get(&format!("/v1/projects/{p}/git/status")).await;
    assert_eq!(st, 200);
    assert!(
        !status["modified"].as_array().unwrap().is_empty(),
        "{status}"
    );
    let (code, out, err) = sb.run(&[
        "--project",
        &folder,
        "git",
        "commit",
        "-m",
        "track EXR",
        "--prefix",
        "chore",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (st, tagged) = s
        .send(
            reqwest::Method::POST,
            &format!("/v1/projects/{p}/git/tags"),
            Some(json!({"name": "v1"})),
        )
        .await;
    assert_eq!(st, 200, "{tagged}");
    let (_, log) = s.get(&format!("/v1/projects/{p}/git/log?limit=5")).await;
    let commits = log["commits"].as_array().unwrap();
    assert_eq!(commits[0]["summary"], "chore: track EXR");
    assert!(
        commits[0]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("v1"))
    );
    let head = commits[0]["id"].as_str().unwrap();
    let (st, files) = s.get(&format!("/v1/projects/{p}/git/commits/{head}")).await;
    assert_eq!(st, 200);
    assert!(
        files["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == ".gitattributes"),
        "{files}"
    );
    let previous = commits[1]["id"].as_str().unwrap();
    let (st, rolled) = s
        .send(
            reqwest::Method::POST,
            &format!("/v1/projects/{p}/git/rollback"),
            Some(json!({"commit": previous, "mode": "mixed"})),
        )
        .await;
    assert_eq!(st, 200, "{rolled}");
    let (code, out, _) = sb.run(&["--project", &folder, "git", "log", "--json"]);
    assert_eq!(code, 0);
    let log: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log[0]["id"], previous);

    // Errors have kinds: an unknown project, a path instead of a name, a bad prefix,
    // an unknown commit, an untracked pattern.
    let (st, e) = s.get("/v1/projects/Nope/git/status").await;
    assert_eq!(
        (st, e["error"]["kind"].as_str()),
        (404, Some("not_found")),
        "{e}"
    );
    let (st, e) = s.get("/v1/projects/..%2Fdata/git/status").await;
    assert_eq!(
        (st, e["error"]["kind"].as_str()),
        (404, Some("not_found")),
        "{e}"
    );
    let (st, _) = s
        .send(
            reqwest::Method::POST,
            &format!("/v1/projects/{p}/git/commit"),
            Some(json!({"message": "x", "prefix": "nope"})),
        )
        .await;
    assert_eq!(st, 422);
    let (st, _) = s
        .get(&format!("/v1/projects/{p}/git/commits/0123abcd"))
        .await;
    assert_eq!(st, 404);
    let (code, _, err) = sb.run(&["--project", &folder, "lfs", "untrack", "*.nothing"]);
    assert_ne!(code, 0);
    assert!(err.contains("was not tracked"), "{err}");
}

/// A process function that writes a small PNG: its output becomes a shot's take.
const GRADIENT: &str = r#"
id = "test/gradient"
version = "1.0.0"
name = "Gradient"
description = "Writes a gradient PNG."
category = "gen"
command = ["{slate_exe}", "demo-gradient", "--out", "{output_dir}", "--width", "32", "--height", "24", "--seed", "3"]
outputs = ["*.png"]

[executor]
type = "process"
"#;

/// Assets and takes over HTTP, and the CLI's `asset` and `take` as clients of the
/// serving Slate (which holds the task store, so `take generate` can only be its client).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_and_takes_over_http_and_the_cli_as_a_client() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.data().join("functions")).unwrap();
    std::fs::write(sb.data().join("functions/gradient.toml"), GRADIENT).unwrap();
    for args in [
        &["project", "new", "Reel"][..],
        &[
            "--project",
            "Reel",
            "project",
            "scene",
            "add",
            "1",
            "Opening",
        ],
        &[
            "--project",
            "Reel",
            "project",
            "shot",
            "add",
            "1",
            "1",
            "Hero",
        ],
    ] {
        let (code, out, err) = sb.run(args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
    }
    let s = sb.serve(&[]);

    // A take, made by the server's runner for the CLI.
    let (code, out, err) = sb.run(&[
        "--project",
        "Reel",
        "take",
        "generate",
        "1",
        "1",
        "1",
        "test/gradient",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains(&s.base), "not run by the server: {err}");
    let (st, takes) = s
        .get("/v1/projects/Reel/takes?chapter=1&scene=1&shot=1")
        .await;
    assert_eq!(st, 200, "{takes}");
    assert_eq!(
        takes["shots"][0]["takes"].as_array().unwrap().len(),
        1,
        "{takes}"
    );

    // Reviewed over HTTP, seen by the CLI, and the other way round.
    let (st, r) = s
        .send(
            reqwest::Method::POST,
            "/v1/projects/Reel/shots/1/1/1/takes/1/approve",
            None,
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let (code, out, _) = sb.run(&["--project", "Reel", "take", "list", "--json"]);
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        listed["shots"][0]["takes"][0]["metadata"]["reviewStatus"], "approved",
        "{listed}"
    );
    let (code, out, err) = sb.run(&["--project", "Reel", "take", "star", "1", "1", "1", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, takes) = s.get("/v1/projects/Reel/takes").await;
    assert_eq!(
        takes["shots"][0]["takes"][0]["metadata"]["starred"], true,
        "{takes}"
    );
    // An unknown take, and a shot that does not exist: 404, named.
    for path in [
        "/v1/projects/Reel/shots/1/1/1/takes/99/approve",
        "/v1/projects/Reel/shots/1/9/1/takes/1/approve",
    ] {
        let (st, e) = s.send(reqwest::Method::POST, path, None).await;
        assert_eq!(
            (st, e["error"]["kind"].as_str()),
            (404, Some("not_found")),
            "{path}: {e}"
        );
    }
    let (st, made) = s.get("/v1/tasks/1/take").await;
    assert_eq!(
        (st, made["state"].as_str()),
        (200, Some("created")),
        "{made}"
    );

    // An asset imported over HTTP, listed, shown, renamed and deleted by the CLI.
    let png = sb.dir.path().join("hero.png");
    let (code, _, err) = sb.run(&[
        "demo-gradient",
        "--out",
        sb.dir.path().to_str().unwrap(),
        "--width",
        "16",
        "--height",
        "16",
    ]);
    assert_eq!(code, 0, "{err}");
    let made = std::fs::read_dir(sb.dir.path())
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "png"))
        .expect("demo-gradient wrote a PNG")
        .path();
    std::fs::rename(made, &png).unwrap();
    let (st, report) = s
        .send(
            reqwest::Method::POST,
            "/v1/projects/Reel/assets",
            Some(json!({"files": [png], "category": "character", "name": "Hero"})),
        )
        .await;
    assert_eq!(st, 200, "{report}");
    assert_eq!(report["imported"].as_array().unwrap().len(), 1, "{report}");
    assert!(report["commit"].is_string(), "{report}");
    let (code, out, _) = sb.run(&["--project", "Reel", "asset", "list", "--json"]);
    assert_eq!(code, 0);
    let assets: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(assets[0]["name"], "Hero", "{assets}");
    let (code, out, err) = sb.run(&["--project", "Reel", "asset", "rename", "Hero", "Rider"]);
    assert_eq!(code, 0, "{out}{err}");
    let (st, shown) = s.get("/v1/projects/Reel/assets/Rider").await;
    assert_eq!(st, 200, "{shown}");
    assert_eq!(shown["asset"]["name"], "Rider");
    let (st, e) = s.get("/v1/projects/Reel/assets/Nobody").await;
    assert_eq!(
        (st, e["error"]["kind"].as_str()),
        (404, Some("not_found")),
        "{e}"
    );
    let (st, e) = s
        .send(
            reqwest::Method::POST,
            "/v1/projects/Reel/assets",
            Some(json!({"files": "not a list"})),
        )
        .await;
    assert_eq!(st, 400, "{e}");
    // A relative path (whose folder would be the server's, not the caller's): refused,
    // naming the field; half a shot's numbers: refused too.
    let (st, e) = s
        .send(
            reqwest::Method::POST,
            "/v1/projects/Reel/assets",
            Some(json!({"files": ["hero.png"]})),
        )
        .await;
    assert_eq!(
        (st, e["error"]["fields"][0]["field"].as_str()),
        (422, Some("files")),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not an absolute path"),
        "{e}"
    );
    let (st, e) = s.get("/v1/projects/Reel/takes?chapter=1").await;
    assert_eq!(st, 422, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("together"),
        "{e}"
    );
    let (code, out, err) = sb.run(&["--project", "Reel", "asset", "delete", "Rider"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, listed) = s.get("/v1/projects/Reel/assets").await;
    assert_eq!(listed["assets"].as_array().unwrap().len(), 0, "{listed}");

    // A take that cannot be made (its folder is a file): the CLI says why at once.
    let renders = sb.dir.path().join("ws/Reel/03_Renders");
    let kept = sb.dir.path().join("renders-kept");
    std::fs::rename(&renders, &kept).unwrap();
    std::fs::write(&renders, "not a folder").unwrap();
    let started = Instant::now();
    let (code, out, err) = sb.run(&[
        "--project",
        "Reel",
        "take",
        "generate",
        "1",
        "1",
        "1",
        "test/gradient",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("the take was not made"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    std::fs::remove_file(&renders).unwrap();
    std::fs::rename(&kept, &renders).unwrap();

    // Renamed by the CLI through the server, deleted over HTTP.
    let mut ev = s.events("?topics=project").await;
    let (code, out, err) = sb.run(&["--project", "Reel", "project", "rename", "Second Reel"]);
    assert_eq!(code, 0, "{out}{err}");
    ev.until(20, "the renamed project in project.listed", |v| {
        v["type"] == "project.listed"
            && v["projects"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "Second Reel"))
    })
    .await;
    let (st, gone) = s.get("/v1/projects/Reel").await;
    assert_eq!(st, 404, "{gone}");
    let folder = sb.dir.path().join("ws").join("Second_Reel");
    let folder = if folder.is_dir() {
        folder
    } else {
        sb.dir.path().join("ws/Second Reel")
    };
    assert!(folder.is_dir(), "renamed folder missing");
    let name = folder
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace(' ', "%20");
    let (st, deleted) = s
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/projects/{name}?permanently=true"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{deleted}");
    assert!(!folder.exists(), "deleted for good");
}

/// `/v1/gpu/history`: the last hour of samples per GPU, from the sampler (a replayed
/// recording here: no NVIDIA GPU on the test machine).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_history_holds_the_samples_since_a_time() {
    let _one = ONE_AT_A_TIME.lock().await;
    let sb = Sandbox::new();
    let replay = sb.dir.path().join("gpu.jsonl");
    let frame = |t: f64, util: u32| {
        json!({"t_s": t, "gpus": [{"index": 0, "name": "Replay GPU", "uuid": "GPU-0",
            "util_gpu": util, "mem_used_mb": 1000, "mem_free_mb": 23000, "mem_total_mb": 24000,
            "temp_c": 50, "power_w": 120.0, "processes": []}]})
        .to_string()
    };
    std::fs::write(
        &replay,
        format!(
            "{}\n{}\n{}\n",
            frame(0.0, 10),
            frame(0.3, 55),
            frame(0.6, 90)
        ),
    )
    .unwrap();
    std::fs::write(
        sb.data().join("settings.toml"),
        "[gpu]\nsample_interval_ms = 250\n",
    )
    .unwrap();
    let s = sb.serve(&["--gpu-replay", replay.to_str().unwrap()]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let history = loop {
        let (st, h) = s.get("/v1/gpu/history").await;
        assert_eq!(st, 200, "{h}");
        if h["gpus"][0]["points"]
            .as_array()
            .is_some_and(|p| p.len() >= 3)
        {
            break h;
        }
        assert!(Instant::now() < deadline, "no GPU history: {h}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(history["gpus"][0]["index"], 0);
    let points = history["gpus"][0]["points"].as_array().unwrap();
    assert!(points.iter().any(|p| p["util"] == 10.0), "{history}");
    assert!(
        points
            .windows(2)
            .all(|w| w[0]["t_s"].as_f64() <= w[1]["t_s"].as_f64())
    );
    // Nothing from the future; a bad value is a 400 in the one error shape.
    let later = (points.last().unwrap()["t_s"].as_f64().unwrap() * 1000.0) as u64 + 60_000;
    let (_, h) = s.get(&format!("/v1/gpu/history?since_ms={later}")).await;
    assert_eq!(h["gpus"][0]["points"].as_array().unwrap().len(), 0, "{h}");
    let (st, e) = s.get("/v1/gpu/history?since_ms=soon").await;
    assert_eq!(
        (st, e["error"]["kind"].as_str()),
        (400, Some("bad_request")),
        "{e}"
    );
    // Past the documented maximum (the year 2100): refused, not read as "nothing yet".
    let (st, e) = s.get("/v1/gpu/history?since_ms=4102444800001").await;
    assert_eq!(
        (st, e["error"]["kind"].as_str()),
        (400, Some("bad_request")),
        "{e}"
    );
}
