//! `GET /v1/events`: the event stream over a WebSocket.
//!
//! Query: `topics=task,queue` (default: all), `since=SEQ` (the last seq the client
//! handled). The first frame is a snapshot (`{"type": "snapshot", …}`) or, with a
//! `since` the journal still covers, the missed events. Then one text frame per event
//! (`{"seq", "type", …}`). A client that falls behind gets the terminal task events it
//! missed and a fresh snapshot (`reason: "lagged"`). A client may also send requests
//! `{"id", "command": {"type": …}}` and gets `{"type": "reply", "id", "ok" | "error"}`.
//! Without an `Authorization` header the first message must be `{"token": "…"}`.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde::Deserialize;

use super::routes::Shared;
use crate::api::bus::{Frame, SnapshotReason, Start};
use crate::api::{ApiError, Envelope, Reply, ReplyResult};

#[derive(Deserialize)]
pub struct EventsQuery {
    topics: Option<String>,
    since: Option<u64>,
}

/// Set by the auth guard when the request carried a valid token.
#[derive(Clone, Copy)]
pub struct Authorized(pub bool);

pub async fn events(
    axum::extract::State(st): axum::extract::State<Shared>,
    axum::Extension(Authorized(authorized)): axum::Extension<Authorized>,
    super::error::Query(q): super::error::Query<EventsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let topics: Option<HashSet<String>> = q.topics.as_deref().map(|t| {
        t.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    });
    ws.max_message_size(super::BODY_LIMIT)
        .on_upgrade(move |socket| session(socket, st, topics, q.since, authorized))
}

async fn send(socket: &mut WebSocket, text: String) -> bool {
    socket.send(Message::Text(text.into())).await.is_ok()
}

fn wanted(topics: &Option<HashSet<String>>, f: &Frame) -> bool {
    topics.as_ref().is_none_or(|t| t.contains(&f.topic))
}

async fn session(
    mut socket: WebSocket,
    st: Shared,
    topics: Option<HashSet<String>>,
    since: Option<u64>,
    authorized: bool,
) {
    if !authorized && !token_message(&mut socket, &st.token).await {
        let e = ApiError::new(
            crate::api::ErrorKind::Unauthorized,
            "send {\"token\": …} first",
        );
        send(
            &mut socket,
            serde_json::json!({"type": "error", "error": e}).to_string(),
        )
        .await;
        socket.send(Message::Close(None)).await.ok();
        return;
    }
    let sub = st.api.bus.subscribe(since);
    let mut rx = sub.rx;
    let mut last = since.unwrap_or(0);
    match sub.start {
        Start::Replay(frames) => {
            for f in frames {
                last = f.seq;
                if wanted(&topics, &f) && !send(&mut socket, f.json.to_string()).await {
                    return;
                }
            }
        }
        Start::Snapshot(snap, reason) => {
            last = snap.seq;
            // A big history serialises for a while: not on an async worker.
            let text = tokio::task::spawn_blocking(move || snap.to_json(reason))
                .await
                .unwrap_or_default();
            if !send(&mut socket, text).await {
                return;
            }
        }
    }
    let mut shutdown = st.shutdown.clone();
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Ok(f) => {
                    if f.seq <= last {
                        continue;
                    }
                    last = f.seq;
                    if wanted(&topics, &f) && !send(&mut socket, f.json.to_string()).await {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    // Too slow: the core never waits for us. Terminal events first, then
                    // the state as it is now.
                    let (terminal, snap) = st.api.bus.resync(last);
                    for f in terminal {
                        if wanted(&topics, &f) && !send(&mut socket, f.json.to_string()).await {
                            return;
                        }
                    }
                    last = snap.seq;
                    let text = tokio::task::spawn_blocking(move || snap.to_json(SnapshotReason::Lagged))
                        .await
                        .unwrap_or_default();
                    if !send(&mut socket, text).await {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(text))) => {
                    let reply = request(&st, text.as_str()).await;
                    if !send(&mut socket, reply).await {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = shutdown.changed() => break,
        }
    }
    socket.send(Message::Close(None)).await.ok();
}

/// Waits up to 5 s for `{"token": "…"}`.
async fn token_message(socket: &mut WebSocket, expected: &Arc<str>) -> bool {
    #[derive(Deserialize)]
    struct Auth {
        token: String,
    }
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), socket.recv()).await;
    match first {
        Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str::<Auth>(t.as_str())
            .is_ok_and(|a| super::discovery::token_matches(a.token.trim(), expected)),
        _ => false,
    }
}

/// One request over the socket: `{"id", "command"}` → `{"type": "reply", "id", …}`.
async fn request(st: &Shared, text: &str) -> String {
    let (id, result) = match serde_json::from_str::<Envelope>(text) {
        Ok(env) if matches!(env.command, crate::api::Command::Shutdown) => (
            env.id,
            ReplyResult::Error(ApiError::new(
                crate::api::ErrorKind::Forbidden,
                "a client cannot stop the core; send SIGTERM to its owner",
            )),
        ),
        Ok(env) => match st.api.call(env.command).await {
            Ok(task) => (
                env.id,
                ReplyResult::Ok(serde_json::to_value(task).unwrap_or_default()),
            ),
            Err(e) => (env.id, ReplyResult::Error(e)),
        },
        Err(e) => {
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v["id"].as_u64())
                .unwrap_or(0);
            (id, ReplyResult::Error(ApiError::bad_request(e.to_string())))
        }
    };
    let mut v = serde_json::to_value(Reply { id, result }).expect("replies serialise");
    v["type"] = "reply".into();
    v.to_string()
}
