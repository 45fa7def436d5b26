//! The window as a client: when another Slate (`slate serve`) owns the data dir, the
//! window links to it instead of starting a core. Commands go out as requests over the
//! WebSocket; events come back into the same channel a local core would fill, so the
//! views cannot tell the difference. A lost link is retried, resuming from the last
//! event seen (`since`).

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::api::Envelope;
use crate::core::{CoreHandle, Waker};
use crate::events::{Command, Event, Level};
use crate::paths::Paths;
use crate::server::discovery::ServeInfo;

/// Links to the Slate described by `info`; the handle's events are the server's.
pub fn spawn(paths: Paths, info: ServeInfo, token: String, waker: Waker) -> CoreHandle {
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = crossbeam_channel::unbounded();
    let address = info.address.clone();
    let link = Link {
        address: info.address.clone(),
        token,
        settings_file: paths.settings_file.clone(),
        events: ev_tx,
        waker,
        since: None,
        next_id: 1,
        pending: HashMap::new(),
    };
    let thread = std::thread::Builder::new()
        .name("slate-link".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(link.run(cmd_rx));
        })
        .expect("spawn the link thread");
    CoreHandle::linked(paths, cmd_tx, ev_rx, thread, address)
}

struct Link {
    address: String,
    token: String,
    settings_file: std::path::PathBuf,
    events: crossbeam_channel::Sender<Event>,
    waker: Waker,
    /// The last event handled: a reconnect resumes after it.
    since: Option<u64>,
    next_id: u64,
    /// Requests sent and not answered yet: what each asked, for a failure's title.
    pending: HashMap<u64, String>,
}

enum Ended {
    Shutdown,
    Lost(String),
}

impl Link {
    fn emit(&self, e: Event) {
        crate::api::sink::deliver(&self.events, &self.waker, e);
    }

    fn notify(&self, level: Level, title: &str, body: String) {
        self.emit(Event::Notification {
            level,
            title: title.into(),
            body,
            task: None,
        });
    }

    async fn run(mut self, mut commands: tokio::sync::mpsc::UnboundedReceiver<Command>) {
        let mut told = false;
        loop {
            let ended = match self.session(&mut commands).await {
                Ok(ended) => ended,
                Err(e) => Ended::Lost(e),
            };
            match ended {
                Ended::Shutdown => return,
                Ended::Lost(why) => {
                    if !told {
                        self.notify(
                            Level::Warning,
                            "Lost the link to Slate serve",
                            format!("{} ({why}); reconnecting…", self.address),
                        );
                        told = true;
                    }
                }
            }
            // Wait before retrying, still honouring a shutdown.
            let wait = tokio::time::sleep(Duration::from_millis(500));
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    _ = &mut wait => break,
                    c = commands.recv() => match c {
                        None | Some(Command::Shutdown) => return,
                        Some(_) => self.notify(
                            Level::Error,
                            "Not sent",
                            format!("the link to {} is down; try again in a moment", self.address),
                        ),
                    },
                }
            }
        }
    }

    /// The state a new client needs besides tasks: settings, system, functions, projects.
    async fn initial_state(&self) -> Result<Vec<Event>, String> {
        let remote = crate::client::remote::Remote::new(&self.address, &self.token)
            .map_err(|e| e.message)?;
        let settings_file = self.settings_file.clone();
        tokio::task::spawn_blocking(move || {
            let get = |path: &str| remote.call("GET", path, None).map_err(|e| e.message);
            let mut out = Vec::new();
            let settings = serde_json::from_value(get("/v1/settings")?)
                .map_err(|e| format!("settings: {e}"))?;
            out.push(Event::SettingsLoaded {
                settings,
                path: settings_file,
                warning: None,
            });
            if let Ok(info) = serde_json::from_value(get("/v1/system")?) {
                out.push(Event::SystemProbed { info });
            }
            // Not loaded yet on a server just started: it comes as an event later.
            if let Ok(functions) = get("/v1/functions")
                && let Ok(e) = serde_json::from_value::<Event>(functions)
            {
                out.push(e);
            }
            let projects = get("/v1/projects")?;
            if let Ok(projects) = serde_json::from_value(projects["projects"].clone()) {
                out.push(Event::ProjectsListed { projects });
            }
            Ok(out)
        })
        .await
        .map_err(|e| e.to_string())?
    }

    async fn session(
        &mut self,
        commands: &mut tokio::sync::mpsc::UnboundedReceiver<Command>,
    ) -> Result<Ended, String> {
        let mut url = format!("{}/v1/events", self.address.replacen("http://", "ws://", 1));
        if let Some(seq) = self.since {
            url.push_str(&format!("?since={seq}"));
        }
        let mut req = url.into_client_request().map_err(|e| e.to_string())?;
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", self.token)
                .parse()
                .map_err(|_| "a token that is not header text".to_string())?,
        );
        let (mut ws, _) = tokio::time::timeout(
            Duration::from_secs(5),
            tokio_tungstenite::connect_async(req),
        )
        .await
        .map_err(|_| "no answer in 5 s".to_string())?
        .map_err(|e| e.to_string())?;
        if self.since.is_none() {
            for e in self.initial_state().await? {
                self.emit(e);
            }
        }
        loop {
            tokio::select! {
                msg = ws.next() => match msg {
                    Some(Ok(Message::Text(text))) => self.frame(text.as_str()),
                    Some(Ok(Message::Close(_))) | None => {
                        return Ok(Ended::Lost("the server closed the link".into()));
                    }
                    Some(Err(e)) => return Ok(Ended::Lost(e.to_string())),
                    Some(Ok(_)) => {}
                },
                c = commands.recv() => match c {
                    None | Some(Command::Shutdown) => {
                        ws.send(Message::Close(None)).await.ok();
                        return Ok(Ended::Shutdown);
                    }
                    Some(command) => {
                        let id = self.next_id;
                        self.next_id += 1;
                        self.pending.insert(id, crate::api::command_type(&command));
                        let text = serde_json::to_string(&Envelope { id, command })
                            .expect("commands serialise");
                        if let Err(e) = ws.send(Message::Text(text.into())).await {
                            return Ok(Ended::Lost(e.to_string()));
                        }
                    }
                },
            }
        }
    }

    fn frame(&mut self, text: &str) {
        let Ok(mut v) = serde_json::from_str::<Value>(text) else {
            return;
        };
        match v["type"].as_str() {
            Some("snapshot") => {
                self.since = v["seq"].as_u64();
                let tasks = serde_json::from_value(v["tasks"].take()).unwrap_or_default();
                let paused = v["paused"].as_bool().unwrap_or(false);
                self.emit(Event::TasksSnapshot { tasks, paused });
            }
            Some("reply") => {
                let id = v["id"].as_u64().unwrap_or(0);
                let asked = self.pending.remove(&id).unwrap_or_default();
                if let Ok(e) = serde_json::from_value::<crate::api::ApiError>(v["error"].take()) {
                    self.notify(Level::Error, &format!("{asked} refused"), e.message);
                }
            }
            _ => {
                if let Some(seq) = v["seq"].as_u64() {
                    self.since = Some(seq);
                }
                if let Some(m) = v.as_object_mut() {
                    m.remove("seq");
                }
                if let Ok(e) = serde_json::from_value::<Event>(v) {
                    self.emit(e);
                }
            }
        }
    }
}
