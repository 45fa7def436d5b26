//! One way for the CLI (and scripts) to reach the core: in-process when no Slate serves
//! the data dir, else the serving Slate over HTTP, found through `<data-dir>/serve.json`.

pub mod functions;
pub mod linked;
pub mod machine;
pub mod media;
pub mod remote;
pub mod workspace;

use crate::api::ApiError;
use crate::core::{CoreApi, CoreHandle};
use crate::events::Command;
use crate::model::task::{Task, TaskId, TaskRequest};
use crate::paths::Paths;

/// What a client can ask of the core; both kinds answer the same way.
pub trait Client {
    /// Every task the core knows (queue and history), by id.
    fn tasks(&self) -> Result<Vec<Task>, ApiError>;
    fn task(&self, id: TaskId) -> Result<Task, ApiError>;
    fn submit(&self, request: TaskRequest) -> Result<Task, ApiError>;
    fn cancel(&self, id: TaskId) -> Result<Task, ApiError>;
    fn retry(&self, id: TaskId) -> Result<Task, ApiError>;
    fn pause(&self, paused: bool) -> Result<(), ApiError>;
    /// Where the core runs, for messages: `in-process` or the server's address.
    fn describe(&self) -> String;
}

/// The serving Slate for this data dir, if one runs.
pub fn discover(paths: &Paths) -> Result<Option<remote::Remote>, ApiError> {
    match crate::server::discovery::read(&paths.data_dir) {
        crate::server::discovery::Found::Live(info) => {
            let token =
                std::fs::read_to_string(crate::server::discovery::token_file(&paths.data_dir))
                    .map_err(|e| {
                        ApiError::unavailable(format!(
                            "Slate (pid {}) serves this data dir but its token is unreadable: {e}",
                            info.pid
                        ))
                    })?;
            Ok(Some(remote::Remote::new(&info.address, token.trim())?))
        }
        _ => Ok(None),
    }
}

/// A core started in this process (nothing else serves the data dir).
pub struct InProcess {
    core: CoreHandle,
    api: CoreApi,
    rt: tokio::runtime::Runtime,
}

impl InProcess {
    /// Wraps a started core whose runner has announced its tasks.
    pub fn new(core: CoreHandle) -> Result<Self, ApiError> {
        let api = core.api();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ApiError::unavailable(e.to_string()))?;
        Ok(Self { core, api, rt })
    }

    pub fn core(&self) -> &CoreHandle {
        &self.core
    }

    fn call_task(&self, id: TaskId, command: Command) -> Result<Task, ApiError> {
        let t = self.rt.block_on(self.api.call(command))?;
        t.or_else(|| self.api.bus.task(id).map(|t| (*t).clone()))
            .ok_or_else(|| ApiError::not_found(format!("no task with id {id}")))
    }
}

impl Client for InProcess {
    fn tasks(&self) -> Result<Vec<Task>, ApiError> {
        Ok(self
            .api
            .bus
            .tasks_where(|_| true)
            .into_iter()
            .map(|t| (*t).clone())
            .collect())
    }

    fn task(&self, id: TaskId) -> Result<Task, ApiError> {
        self.api
            .bus
            .task(id)
            .map(|t| (*t).clone())
            .ok_or_else(|| ApiError::not_found(format!("no task with id {id}")))
    }

    fn submit(&self, request: TaskRequest) -> Result<Task, ApiError> {
        self.rt
            .block_on(self.api.call(Command::SubmitTask { request }))?
            .ok_or_else(|| ApiError::unavailable("the runner queued nothing"))
    }

    fn cancel(&self, id: TaskId) -> Result<Task, ApiError> {
        self.call_task(id, Command::CancelTask { id })
    }

    fn retry(&self, id: TaskId) -> Result<Task, ApiError> {
        self.call_task(id, Command::RetryTask { id })
    }

    fn pause(&self, paused: bool) -> Result<(), ApiError> {
        self.rt
            .block_on(self.api.call(Command::PauseQueue { paused }))
            .map(|_| ())
    }

    fn describe(&self) -> String {
        "in-process".into()
    }
}
