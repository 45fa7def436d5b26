use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    String,
    Int,
    Float,
    Bool,
    Enum,
    File,
}

/// What the UI needs to list functions and build the Run dialog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionSummary {
    pub id: String,
    pub version: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub executor: String,
    pub inputs: Vec<Input>,
    pub presets: Vec<String>,
    pub gpu: bool,
    pub source: PathBuf,
}

pub const PRESETS: [&str; 4] = ["draft", "standard", "high", "ultra"];

/// One field that failed validation, named so the UI can show it next to the field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: InputKind,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<toml::Value>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub min_length: Option<usize>,
    #[serde(default)]
    pub max_length: Option<usize>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub choices: Vec<String>,
    /// Filled from the shot a run is bound to: `shot.description`, `shot.duration`,
    /// `shot.type`, `shot.name`, `shot.assets`, `project.fps`, `project.width`,
    /// `project.height`, `project.resolution` or `random.seed`.
    #[serde(default)]
    pub from: Option<String>,
}

impl Input {
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }

    /// Parses what a user typed (CLI `k=v` or a form field).
    pub fn coerce_text(&self, text: &str) -> Result<serde_json::Value, String> {
        let t = text.trim();
        let value = match self.kind {
            InputKind::Int => serde_json::Value::from(
                t.parse::<i64>()
                    .map_err(|_| format!("expects a whole number, got {text:?}"))?,
            ),
            InputKind::Float => {
                let f = t
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| format!("expects a number, got {text:?}"))?;
                serde_json::Value::from(f)
            }
            InputKind::Bool => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "on" => true.into(),
                "false" | "no" | "0" | "off" => false.into(),
                _ => return Err(format!("expects true or false, got {text:?}")),
            },
            InputKind::String | InputKind::Enum | InputKind::File => {
                serde_json::Value::from(text.to_string())
            }
        };
        self.check(&value)?;
        Ok(value)
    }

    pub fn coerce_toml(&self, v: &toml::Value) -> Result<serde_json::Value, String> {
        let value = match (self.kind, v) {
            (InputKind::Int, toml::Value::Integer(i)) => serde_json::Value::from(*i),
            (InputKind::Float, toml::Value::Float(f)) => serde_json::Value::from(*f),
            (InputKind::Float, toml::Value::Integer(i)) => serde_json::Value::from(*i as f64),
            (InputKind::Bool, toml::Value::Boolean(b)) => serde_json::Value::from(*b),
            (InputKind::String | InputKind::Enum | InputKind::File, toml::Value::String(s)) => {
                serde_json::Value::from(s.clone())
            }
            (kind, other) => {
                return Err(format!(
                    "has the wrong type: expected {kind:?}, got {}",
                    other.type_str()
                ));
            }
        };
        self.check(&value)?;
        Ok(value)
    }

    fn check(&self, v: &serde_json::Value) -> Result<(), String> {
        if let Some(n) = v.as_f64().filter(|_| v.is_number()) {
            if let Some(min) = self.min
                && n < min
            {
                return Err(format!("must be at least {min}, got {n}"));
            }
            if let Some(max) = self.max
                && n > max
            {
                return Err(format!("must be at most {max}, got {n}"));
            }
        }
        if let Some(s) = v.as_str() {
            let len = s.chars().count();
            if self.required && s.trim().is_empty() {
                return Err("is required".into());
            }
            if let Some(min) = self.min_length
                && len < min
            {
                return Err(format!("must be at least {min} characters"));
            }
            if let Some(max) = self.max_length
                && len > max
            {
                return Err(format!("must be at most {max} characters"));
            }
            if let Some(p) = &self.pattern
                && let Ok(re) = regex::Regex::new(p)
                && !re.is_match(s)
            {
                return Err(format!("must match the pattern {p}"));
            }
            if self.kind == InputKind::Enum && !self.choices.iter().any(|c| c == s) {
                return Err(format!(
                    "must be one of {}, got {s:?}",
                    self.choices.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// True for names Slurm takes as partitions and accounts (and that need no quoting).
pub fn is_slurm_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
