//! The remote client: blocking HTTP/1.1 to a serving Slate on this machine. Small on
//! purpose (one request per connection, JSON bodies), so the CLI needs no HTTP stack.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Client;
use crate::api::{ApiError, ErrorBody, ErrorKind};
use crate::model::task::{Task, TaskId, TaskRequest};

/// A serving Slate at `address`, with its token.
pub struct Remote {
    address: String,
    addr: SocketAddr,
    token: String,
}

#[derive(Deserialize)]
struct TaskReply {
    task: Task,
}

#[derive(Deserialize)]
struct TaskPage {
    tasks: Vec<Task>,
    total: usize,
}

impl Remote {
    /// `address` is `http://host:port`.
    pub fn new(address: &str, token: &str) -> Result<Self, ApiError> {
        let hostport = address
            .strip_prefix("http://")
            .unwrap_or(address)
            .trim_end_matches('/');
        let addr = hostport
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| ApiError::unavailable(format!("bad server address {address:?}")))?;
        Ok(Self {
            address: address.to_string(),
            addr,
            token: token.to_string(),
        })
    }

    /// One request; a non-2xx answer becomes its typed error.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Vec<u8>, ApiError> {
        let unavailable =
            |e: std::io::Error| ApiError::unavailable(format!("{}: {e}", self.address));
        let mut s =
            TcpStream::connect_timeout(&self.addr, Duration::from_secs(5)).map_err(unavailable)?;
        // Long enough for a large asset import, which answers when it is done.
        s.set_read_timeout(Some(Duration::from_secs(600))).ok();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            self.token,
            body.len()
        );
        s.write_all(head.as_bytes()).map_err(unavailable)?;
        s.write_all(body.as_bytes()).map_err(unavailable)?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).map_err(unavailable)?;
        let (status, payload) = parse_response(&raw)
            .ok_or_else(|| ApiError::unavailable(format!("{}: a garbled answer", self.address)))?;
        if (200..300).contains(&status) {
            return Ok(payload);
        }
        Err(match serde_json::from_slice::<ErrorBody>(&payload) {
            Ok(b) => b.error,
            Err(_) => ApiError::new(
                ErrorKind::from_status(status),
                format!("HTTP {status}: {}", String::from_utf8_lossy(&payload)),
            ),
        })
    }

    /// `http://host:port`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// A request whose answer is any JSON.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, ApiError> {
        self.json(method, path, body)
    }

    fn json<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, ApiError> {
        let bytes = self.request(method, path, body)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::new(
                ErrorKind::Internal,
                format!("{} answered {path} with unexpected JSON: {e}", self.address),
            )
        })
    }
}

/// Status and body of an HTTP/1.1 answer (Content-Length, chunked or until close).
fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = &raw[end + 4..];
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if !chunked {
        return Some((status, body.to_vec()));
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some((status, out));
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

impl Client for Remote {
    fn tasks(&self) -> Result<Vec<Task>, ApiError> {
        let mut all = Vec::new();
        loop {
            let page: TaskPage = self.json(
                "GET",
                &format!("/v1/tasks?offset={}&limit=10000", all.len()),
                None,
            )?;
            let n = page.tasks.len();
            all.extend(page.tasks);
            if n == 0 || all.len() >= page.total {
                return Ok(all);
            }
        }
    }

    fn task(&self, id: TaskId) -> Result<Task, ApiError> {
        self.json("GET", &format!("/v1/tasks/{id}"), None)
    }

    fn submit(&self, request: TaskRequest) -> Result<Task, ApiError> {
        let body = serde_json::json!({
            "function": request.function,
            "params": request.params,
            "preset": request.preset,
            "priority": request.priority,
            "project": request.project,
            "shot": request.shot,
            "executor": request.executor,
            "host": request.host,
        });
        self.json::<TaskReply>("POST", "/v1/tasks", Some(&body))
            .map(|r| r.task)
    }

    fn cancel(&self, id: TaskId) -> Result<Task, ApiError> {
        self.json::<TaskReply>("POST", &format!("/v1/tasks/{id}/cancel"), None)
            .map(|r| r.task)
    }

    fn retry(&self, id: TaskId) -> Result<Task, ApiError> {
        self.json::<TaskReply>("POST", &format!("/v1/tasks/{id}/retry"), None)
            .map(|r| r.task)
    }

    fn pause(&self, paused: bool) -> Result<(), ApiError> {
        self.request(
            "PUT",
            "/v1/queue",
            Some(&serde_json::json!({ "paused": paused })),
        )
        .map(|_| ())
    }

    fn describe(&self) -> String {
        self.address.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_with_or_without_chunks() {
        let plain = b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain), Some((404, b"{}".to_vec())));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((200, b"abcde".to_vec())));
        assert_eq!(parse_response(b"garbage"), None);
    }
}
