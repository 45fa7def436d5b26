//! The wire format of the local API (`slate serve`): requests with ids, replies that are
//! `ok` or one typed [`ApiError`], and events with a dotted `type` and a global sequence
//! number. The window, the CLI and HTTP clients all speak it.

pub mod bus;
pub mod events;
pub mod project;
pub mod sink;

use serde::{Deserialize, Serialize};

pub use events::{Command, Event};

/// The protocol version written to `serve.json`; bumped when a reply or event changes
/// incompatibly.
pub const PROTOCOL_VERSION: u32 = 1;

/// A client's request id: echoed in the reply so a dialog closes on its own answer.
pub type RequestId = u64;

/// One request: an id and a command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: RequestId,
    pub command: Command,
}

/// The answer to one [`Envelope`]: `ok` with a value, or `error`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub id: RequestId,
    #[serde(flatten)]
    pub result: ReplyResult,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyResult {
    Ok(serde_json::Value),
    Error(ApiError),
}

/// What kind of failure: clients branch on this, never on the message text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Malformed request: bad JSON, a wrong type, an unknown query value (400).
    BadRequest,
    /// No token or a wrong one (401).
    Unauthorized,
    /// A cross-site request (403).
    Forbidden,
    /// No such task, function or route (404).
    NotFound,
    /// The route exists, not with this method (405).
    MethodNotAllowed,
    /// The thing is in a state that refuses this (409): cancel a finished task.
    Conflict,
    /// The body is larger than the server accepts (413).
    TooLarge,
    /// Well-formed, but fields were refused (422); `fields` names each.
    Invalid,
    /// The executor or the task store is not available (503).
    Unavailable,
    /// A bug or an I/O failure on the server (500).
    Internal,
}

impl ErrorKind {
    /// The HTTP status the server answers with for this kind.
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::TooLarge => 413,
            Self::Invalid => 422,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// The kind an HTTP status stands for (for remote clients).
    pub fn from_status(status: u16) -> Self {
        match status {
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            409 => Self::Conflict,
            413 => Self::TooLarge,
            422 => Self::Invalid,
            503 => Self::Unavailable,
            _ => Self::Internal,
        }
    }
}

/// One refused field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// The one error shape, everywhere: `{"error": {"kind", "message", "fields"}}` on the wire.
#[derive(
    Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema,
)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(default)]
    pub fields: Vec<FieldProblem>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    /// Refused fields (422), each named.
    pub fn invalid(message: impl Into<String>, fields: Vec<FieldProblem>) -> Self {
        Self {
            kind: ErrorKind::Invalid,
            message: message.into(),
            fields,
        }
    }
}

/// `{"error": ApiError}`: the body of every non-2xx answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ApiError,
}

/// The topic of an event: the part of its dotted `type` before the first dot
/// (`task.progress` → `task`). Clients subscribe to topics.
pub fn topic_of(event_type: &str) -> &str {
    event_type.split('.').next().unwrap_or(event_type)
}

/// The dotted `type` of an event, as it goes on the wire.
pub fn event_type(event: &Event) -> String {
    match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(m)) => m
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("unknown")
            .to_string(),
        _ => "unknown".into(),
    }
}

/// The dotted `type` of a command (`task.cancel`), for messages about it.
pub fn command_type(command: &Command) -> String {
    serde_json::to_value(command)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(String::from))
        .unwrap_or_else(|| "a request".into())
}

/// A task event that ends a task's run: clients must never miss one.
pub fn is_terminal(event: &Event) -> bool {
    matches!(event, Event::TaskUpdated { task } if task.state.is_finished())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_their_documented_status() {
        for (kind, status) in [
            (ErrorKind::BadRequest, 400),
            (ErrorKind::Unauthorized, 401),
            (ErrorKind::Forbidden, 403),
            (ErrorKind::NotFound, 404),
            (ErrorKind::Conflict, 409),
            (ErrorKind::Invalid, 422),
            (ErrorKind::Unavailable, 503),
        ] {
            assert_eq!(kind.status(), status);
            assert_eq!(ErrorKind::from_status(status), kind);
        }
    }

    #[test]
    fn replies_carry_the_request_id_and_one_error_shape() {
        let r = Reply {
            id: 9,
            result: ReplyResult::Error(ApiError::not_found("no task 3")),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["id"], 9);
        assert_eq!(v["error"]["kind"], "not_found");
        assert_eq!(v["error"]["message"], "no task 3");
        let back: Reply = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
        let e = Envelope {
            id: 1,
            command: Command::CancelTask { id: 4 },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["command"]["type"], "task.cancel");
    }

    #[test]
    fn topics_are_the_first_part_of_the_type() {
        assert_eq!(topic_of("task.progress"), "task");
        assert_eq!(topic_of("notification"), "notification");
    }
}
