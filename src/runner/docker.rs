//! Docker engine access through bollard.

use bollard::Docker;

/// Connects to `endpoint` (`unix://…`, `tcp://…`, or empty for the local default).
/// No request is made yet; errors here are about the address itself.
pub fn connect(endpoint: &str) -> Result<Docker, String> {
    let ep = endpoint.trim();
    let result = if ep.is_empty() {
        Docker::connect_with_local_defaults()
    } else if let Some(path) = ep.strip_prefix("unix://") {
        Docker::connect_with_unix(path, 120, bollard::API_DEFAULT_VERSION)
    } else if ep.starts_with("tcp://") || ep.starts_with("http://") {
        Docker::connect_with_http(ep, 120, bollard::API_DEFAULT_VERSION)
    } else {
        return Err(format!(
            "unsupported Docker endpoint {ep:?}: use unix:///var/run/docker.sock or tcp://host:2375"
        ));
    };
    result.map_err(|e| plain_error(&e))
}

/// A bollard error in words: "not reachable" rather than a hyper error chain.
pub fn plain_error(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    match e {
        E::DockerResponseServerError {
            status_code,
            message,
        } => format!("Docker said {status_code}: {message}"),
        E::HyperResponseError { .. } | E::IOError { .. } => {
            format!("the Docker engine is not reachable ({e}); is the daemon running?")
        }
        other => other.to_string(),
    }
}
