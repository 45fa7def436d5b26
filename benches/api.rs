//! The local API's costs, each with its in-process peer in the same run: submit over
//! HTTP vs submit through the core directly (tasks/s), event latency from the core's
//! emit to a WebSocket client vs to an in-process subscriber (p50/p99, 1 and 10
//! clients), and the first snapshot of 100,000 tasks to a new WebSocket client vs
//! serialising it in-process.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Figure, full_run, percentile};
use futures_util::StreamExt as _;
use slate::core::{CoreApi, CoreOptions};
use slate::events::{Command, Event};
use slate::paths::Paths;
use slate::runner::RunnerConfig;
use slate::runner::task::{Task, TaskRequest, TaskState};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

fn request() -> TaskRequest {
    TaskRequest {
        function: "demo/countdown".into(),
        params: [("steps".to_string(), "3".to_string())].into(),
        ..Default::default()
    }
}

async fn ws(
    base: &str,
    token: &str,
    query: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut req = format!("{}/v1/events{query}", base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None);
    tokio_tungstenite::connect_async_with_config(req, Some(config), false)
        .await
        .unwrap()
        .0
}

fn text(m: tokio_tungstenite::tungstenite::Message) -> Option<String> {
    match m {
        tokio_tungstenite::tungstenite::Message::Text(t) => Some(t.as_str().to_string()),
        _ => None,
    }
}

/// Events published on the core's bus at a steady pace, each stamped; every client
/// reports arrival times. Returns latencies in ms, sorted.
async fn latencies(
    api: &CoreApi,
    base: &str,
    token: &str,
    clients: usize,
    events: u64,
) -> (Vec<f64>, Vec<f64>) {
    let mut sockets = Vec::new();
    for _ in 0..clients {
        let mut s = ws(base, token, "?topics=task").await;
        s.next().await; // the snapshot
        sockets.push(s);
    }
    let mut local = api.bus.subscribe(None);
    let start = Instant::now();
    let mut handles = Vec::new();
    for mut s in sockets {
        handles.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while got.len() < events as usize {
                let Some(Ok(m)) = s.next().await else { break };
                let Some(t) = text(m) else { continue };
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "task.progress" {
                    let sent_ns: u64 = v["message"].as_str().unwrap().parse().unwrap();
                    let now_ns = start.elapsed().as_nanos() as u64;
                    got.push((now_ns - sent_ns) as f64 / 1e6);
                }
            }
            got
        }));
    }
    let local_task = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < events as usize {
            let f = local.rx.recv().await.unwrap();
            let now_ns = start.elapsed().as_nanos() as u64;
            let v: serde_json::Value = serde_json::from_str(&f.json).unwrap();
            if v["type"] == "task.progress" {
                let sent_ns: u64 = v["message"].as_str().unwrap().parse().unwrap();
                got.push((now_ns - sent_ns) as f64 / 1e6);
            }
        }
        got
    });
    for i in 0..events {
        let sent = start.elapsed().as_nanos() as u64;
        api.bus.publish(&Event::TaskProgress {
            id: 1_000_000 + i,
            progress: 0.5,
            stage: None,
            message: Some(sent.to_string()),
            eta_s: None,
        });
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let mut local = local_task.await.unwrap();
    all.sort_by(f64::total_cmp);
    local.sort_by(f64::total_cmp);
    (all, local)
}

fn main() {
    let full = full_run();
    let dir = tempfile::tempdir().unwrap();
    let core = slate::core::spawn(
        CoreOptions {
            paths: Paths::in_dir(&dir.path().join("data"), Some(dir.path().join("ws"))),
            run_tasks: true,
            runner: RunnerConfig {
                slate_exe: Some(env!("CARGO_BIN_EXE_slate").into()),
                ..Default::default()
            },
        },
        Arc::new(|_| {}),
    );
    let api = core.api();
    // The UI's channel: drained here as the window would.
    let events = core.events.clone();
    std::thread::spawn(move || for _ in events.iter() {});
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    while !api.bus.ready() {
        std::thread::sleep(Duration::from_millis(10));
    }
    rt.block_on(api.call(Command::PauseQueue { paused: true }))
        .unwrap();
    let server = slate::server::start(
        api.clone(),
        slate::server::ServeConfig {
            listen: None,
            port: 0,
            owner: "serve",
        },
    )
    .unwrap();
    let base = format!("http://{}", server.addr);
    let token = std::fs::read_to_string(dir.path().join("data/api-token")).unwrap();
    let token = token.trim().to_string();
    let mut figures = Vec::new();

    // 1. Submit throughput (the queue is paused, so nothing runs).
    let n = if full { 2000 } else { 160 };
    const SUBMITTERS: usize = 16;
    let t = Instant::now();
    rt.block_on(async {
        let mut hs = Vec::new();
        for _ in 0..SUBMITTERS {
            let api = api.clone();
            hs.push(tokio::spawn(async move {
                for _ in 0..n / SUBMITTERS {
                    api.call(Command::SubmitTask { request: request() })
                        .await
                        .unwrap();
                }
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
    });
    let in_process = (n / SUBMITTERS * SUBMITTERS) as f64 / t.elapsed().as_secs_f64();
    let http = reqwest::Client::new();
    let body = serde_json::json!({"function": "demo/countdown", "params": {"steps": 3}});
    let t = Instant::now();
    rt.block_on(async {
        let per = n / SUBMITTERS;
        let mut hs = Vec::new();
        for _ in 0..SUBMITTERS {
            let (http, base, token, body) =
                (http.clone(), base.clone(), token.clone(), body.clone());
            hs.push(tokio::spawn(async move {
                for _ in 0..per {
                    let r = http
                        .post(format!("{base}/v1/tasks"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 201);
                }
            }));
        }
        for h in hs {
            h.await.unwrap();
        }
    });
    let over_http = (n / SUBMITTERS * SUBMITTERS) as f64 / t.elapsed().as_secs_f64();
    figures.push(Figure::versus(
        "submit over HTTP (16 clients, durable)",
        over_http,
        "tasks/s",
        "in-process submit (16 callers)",
        in_process,
    ));

    // 2. Event latency: core emit → WebSocket client, vs → in-process subscriber.
    let events = if full { 1000 } else { 100 };
    for clients in [1usize, 10] {
        let (ws_ms, local_ms) = rt.block_on(latencies(&api, &base, &token, clients, events));
        for (p, label) in [(0.5, "p50"), (0.99, "p99")] {
            figures.push(Figure::versus(
                &format!(
                    "event latency to WebSocket, {}, {label}",
                    if clients == 1 {
                        "1 client".to_string()
                    } else {
                        format!("{clients} clients")
                    }
                ),
                percentile(&ws_ms, p),
                "ms",
                "in-process subscriber",
                percentile(&local_ms, p),
            ));
        }
    }

    // 3. The first snapshot of 100,000 tasks to a new client.
    let count = if full { 100_000 } else { 5_000 };
    let tasks: Vec<Task> = (1..=count)
        .map(|id| Task {
            state: TaskState::Succeeded,
            params: [("steps".to_string(), serde_json::json!(3))].into(),
            outputs: vec!["countdown.txt".into()],
            ..Task::queued(id, "demo/countdown", "1.0.0", 1_700_000_000_000 + id)
        })
        .collect();
    api.bus.publish(&Event::TasksSnapshot {
        tasks,
        paused: true,
    });
    let t = Instant::now();
    let json = api
        .bus
        .snapshot()
        .to_json(slate::api::bus::SnapshotReason::Subscribe);
    let in_process_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let first = rt.block_on(async {
        let mut s = ws(&base, &token, "").await;
        text(s.next().await.unwrap().unwrap()).unwrap()
    });
    let over_ws_ms = t.elapsed().as_secs_f64() * 1000.0;
    let bytes = first.len();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let n_tasks = v["tasks"].as_array().unwrap().len();
    assert_eq!(n_tasks as u64, count);
    assert_eq!(bytes, json.len());
    figures.push(Figure::versus(
        &format!("snapshot of {count} tasks to a new WebSocket client (connect to last byte)"),
        over_ws_ms,
        "ms",
        "in-process serialisation",
        in_process_ms,
    ));
    figures.push(Figure::alone("snapshot size", bytes as f64 / 1e6, "MB"));
    common::write("api", &figures);
    server.stop();
    core.shutdown();
}
