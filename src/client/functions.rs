//! Function templates as a client sees them: the serving Slate's loaded list when one
//! runs (the window's Run dialog shows the same), else the templates read here.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::api::ApiError;
use crate::model::function::FunctionSummary;
use crate::paths::Paths;
use crate::settings::Settings;

/// Every function, and every template that failed to load.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Loaded {
    pub functions: Vec<FunctionSummary>,
    pub errors: Vec<String>,
}

impl Loaded {
    pub fn get(&self, id: &str) -> Result<&FunctionSummary, String> {
        self.functions.iter().find(|f| f.id == id).ok_or_else(|| {
            format!(
                "no function named {id:?}; known functions: {}",
                self.functions
                    .iter()
                    .map(|f| f.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }
}

/// The functions of the Slate serving this data dir, else of the templates on disk.
pub fn load(paths: &Paths, settings: &Settings) -> Result<Loaded, ApiError> {
    if let Some(remote) = super::discover(paths)? {
        let reply = remote.call("GET", "/v1/functions", None)?;
        return serde_json::from_value(reply).map_err(|e| {
            ApiError::new(
                crate::api::ErrorKind::Internal,
                format!("an unexpected function list: {e}"),
            )
        });
    }
    Ok(load_here(paths, settings))
}

/// The templates on disk (the built-ins, the user's folder, a legacy workspace folder).
pub(crate) fn registry(paths: &Paths, settings: &Settings) -> crate::runner::function::Registry {
    crate::runner::function::Registry::load_with_legacy(
        &paths.functions_dir(),
        &paths.workspace_root(settings),
    )
}

/// [`registry`], as summaries.
pub fn load_here(paths: &Paths, settings: &Settings) -> Loaded {
    let reg = registry(paths, settings);
    Loaded {
        functions: reg.summaries(),
        errors: reg.errors,
    }
}

/// Checks a template's text: its summary, or what is wrong (with the TOML line).
pub fn check(text: &str, file: &Path) -> Result<FunctionSummary, String> {
    crate::runner::function::FunctionTemplate::parse(text, file).map(|t| t.summary())
}
