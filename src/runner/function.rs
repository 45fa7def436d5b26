//! Function templates: TOML files that describe a generation job and its typed inputs.
//!
//! See README.md ("Function templates") for the format. A template is parsed, then
//! checked (defaults within bounds, presets naming real inputs); a bad one is reported
//! with its file, line where TOML gives one, and reason, and the others still load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::model::function::Input;
pub use crate::model::function::{FieldError, FunctionSummary, InputKind, PRESETS};
use crate::model::task::TaskResources;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Executor {
    /// A local command; `command` is the argv.
    Process,
    /// A container; `command` is the container's cmd.
    Docker {
        image: String,
        #[serde(default)]
        network: Option<String>,
    },
    /// A batch job on a Slurm cluster (`sbatch`); `command` is the argv the job runs.
    /// Unset fields come from Settings (partition, account) or the task's resources.
    Slurm {
        #[serde(default)]
        partition: Option<String>,
        #[serde(default)]
        account: Option<String>,
        /// Slurm's own time limit (`--time`), in minutes; default: the task's timeout.
        #[serde(default)]
        time_limit_min: Option<u64>,
        /// GPUs per job (`--gres=gpu:N`); default: 1 when `resources.gpu`, else none.
        #[serde(default)]
        gpus: Option<u32>,
    },
}

/// Most GPUs a Slurm job may ask for (far above any node, low enough to be a typo).
pub const MAX_SLURM_GPUS: u32 = 64;

impl Executor {
    /// Checks the Slurm fields: names Slurm accepts, numbers in range.
    fn check(&self) -> Result<(), (&'static str, String)> {
        let Executor::Slurm {
            partition,
            account,
            time_limit_min,
            gpus,
        } = self
        else {
            return Ok(());
        };
        for (field, value) in [("partition", partition), ("account", account)] {
            if let Some(v) = value
                && !crate::model::function::is_slurm_name(v)
            {
                return Err((
                    field,
                    format!("`{field}` must be a Slurm name (letters, digits, _ . -), got {v:?}"),
                ));
            }
        }
        if let Some(t) = time_limit_min
            && !(1..=MAX_TIMEOUT_S / 60).contains(t)
        {
            return Err((
                "time_limit_min",
                format!(
                    "`time_limit_min` must be 1 to {} (30 days), got {t}",
                    MAX_TIMEOUT_S / 60
                ),
            ));
        }
        if let Some(g) = gpus
            && *g > MAX_SLURM_GPUS
        {
            return Err((
                "gpus",
                format!("`gpus` must be at most {MAX_SLURM_GPUS}, got {g}"),
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Resources {
    pub gpu: bool,
    pub vram_mb: Option<u64>,
    pub cpu: Option<f64>,
    pub memory_mb: Option<u64>,
    pub timeout_s: Option<u64>,
    /// At most this many tasks of this function at once.
    pub max_concurrent: Option<u32>,
}

/// Upper bounds for resource numbers: far above any real machine, low enough that
/// the byte and nanosecond conversions can never overflow.
pub const MAX_MEMORY_MB: u64 = 64 * 1024 * 1024; // 64 TiB
pub const MAX_VRAM_MB: u64 = 16 * 1024 * 1024; // 16 TiB
pub const MAX_CPU: f64 = 4096.0;
pub const MAX_TIMEOUT_S: u64 = 30 * 24 * 3600; // 30 days
pub const MAX_CONCURRENT: u32 = 10_000;

impl Resources {
    /// Every number in range; returns the field and what is wrong with it.
    fn check(&self) -> Result<(), (&'static str, String)> {
        if let Some(c) = self.cpu
            && !(c.is_finite() && c > 0.0 && c <= MAX_CPU)
        {
            return Err((
                "cpu",
                format!("`cpu` must be a number above 0 and at most {MAX_CPU}, got {c}"),
            ));
        }
        if let Some(m) = self.memory_mb
            && !(1..=MAX_MEMORY_MB).contains(&m)
        {
            return Err((
                "memory_mb",
                format!("`memory_mb` must be 1 to {MAX_MEMORY_MB}, got {m}"),
            ));
        }
        if let Some(v) = self.vram_mb
            && v > MAX_VRAM_MB
        {
            return Err((
                "vram_mb",
                format!("`vram_mb` must be at most {MAX_VRAM_MB}, got {v}"),
            ));
        }
        if let Some(t) = self.timeout_s
            && !(1..=MAX_TIMEOUT_S).contains(&t)
        {
            return Err((
                "timeout_s",
                format!(
                    "`timeout_s` must be at least 1 and at most {MAX_TIMEOUT_S} (30 days), got {t}"
                ),
            ));
        }
        if let Some(n) = self.max_concurrent
            && !(1..=MAX_CONCURRENT).contains(&n)
        {
            return Err((
                "max_concurrent",
                format!(
                    "`max_concurrent` must be 1 to {MAX_CONCURRENT} (0 would never run a task), got {n}"
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Preset {
    pub inputs: BTreeMap<String, toml::Value>,
    pub resources: Resources,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionTemplate {
    pub id: String,
    pub version: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    pub executor: Executor,
    pub command: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub inputs: Vec<Input>,
    #[serde(default)]
    pub outputs: Vec<String>,
    #[serde(default)]
    pub resources: Resources,
    #[serde(default)]
    pub presets: BTreeMap<String, Preset>,
    /// Re-queue a run cut by a crash instead of leaving it `interrupted`.
    #[serde(default)]
    pub requeue_on_interrupt: bool,
    /// Where the template was loaded from (set by the loader).
    #[serde(skip)]
    pub source: PathBuf,
}

impl FunctionTemplate {
    /// Parses and checks a template. Errors carry the TOML line when there is one.
    pub fn parse(text: &str, source: &Path) -> Result<Self, String> {
        let mut t: FunctionTemplate = toml::from_str(text)
            .map_err(|e| format!("{}: {}", source.display(), e.to_string().trim()))?;
        t.source = source.to_owned();
        t.check().map_err(|(near, e)| {
            // Point at the line the problem is on, as TOML errors do.
            let line = near
                .as_deref()
                .and_then(|needle| text.lines().position(|l| l.contains(needle)))
                .map(|i| format!("line {}: ", i + 1))
                .unwrap_or_default();
            format!("{}: {line}{e}", source.display())
        })?;
        Ok(t)
    }

    /// Checks what TOML cannot: returns the problem and a piece of text to find its
    /// line by.
    fn check(&self) -> Result<(), (Option<String>, String)> {
        let at = |needle: &str| Some(needle.to_string());
        if self.id.trim().is_empty() {
            return Err((at("id"), "`id` is empty".into()));
        }
        if !is_semver(&self.version) {
            return Err((
                at("version"),
                format!(
                    "`version` must be semver like 1.2.0, got {:?}",
                    self.version
                ),
            ));
        }
        if self.command.is_empty() {
            return Err((
                at("command"),
                "`command` is empty: give the program and its arguments".into(),
            ));
        }
        self.resources
            .check()
            .map_err(|(field, e)| (at(field), e))?;
        self.executor.check().map_err(|(field, e)| (at(field), e))?;
        for (name, preset) in &self.presets {
            preset.resources.check().map_err(|(field, e)| {
                (
                    at(&format!("presets.{name}")),
                    format!("preset `{name}`: {e} ({field})"),
                )
            })?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for input in &self.inputs {
            let here = at(&format!("\"{}\"", input.name));
            let fail = |m: String| Err((here.clone(), format!("input `{}`: {m}", input.name)));
            if !seen.insert(&input.name) {
                return fail("is declared twice".into());
            }
            if BUILTIN_PLACEHOLDERS.contains(&input.name.as_str()) {
                return fail(format!(
                    "the name is taken by a built-in placeholder ({})",
                    BUILTIN_PLACEHOLDERS.join(", ")
                ));
            }
            if !input.name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return fail(
                    "names use letters, digits and _ only (they become {placeholders})".into(),
                );
            }
            if input.kind == InputKind::Enum && input.choices.is_empty() {
                return fail("an enum needs `choices`".into());
            }
            if input.kind != InputKind::Enum && !input.choices.is_empty() {
                return fail("`choices` is only for enum inputs".into());
            }
            let numeric = matches!(input.kind, InputKind::Int | InputKind::Float);
            if !numeric && (input.min.is_some() || input.max.is_some()) {
                return fail("`min`/`max` are for int and float inputs; use `min_length`/`max_length` for text".into());
            }
            if let (Some(a), Some(b)) = (input.min, input.max)
                && a > b
            {
                return fail(format!("`min` ({a}) is above `max` ({b})"));
            }
            if let (Some(a), Some(b)) = (input.min_length, input.max_length)
                && a > b
            {
                return fail(format!("`min_length` ({a}) is above `max_length` ({b})"));
            }
            if let Some(p) = &input.pattern {
                regex::Regex::new(p).map_err(|e| {
                    (
                        here.clone(),
                        format!("input `{}`: bad pattern: {e}", input.name),
                    )
                })?;
            }
            if let Some(d) = &input.default {
                input
                    .coerce_toml(d)
                    .map_err(|e| (here.clone(), format!("input `{}`: default {e}", input.name)))?;
            }
        }
        for (name, preset) in &self.presets {
            let here = at(&format!("presets.{name}"));
            if !PRESETS.contains(&name.as_str()) {
                return Err((
                    here,
                    format!("preset `{name}` is not one of {}", PRESETS.join(", ")),
                ));
            }
            for (k, v) in &preset.inputs {
                let input = self.input(k).ok_or_else(|| {
                    (
                        here.clone(),
                        format!("preset `{name}` sets unknown input `{k}`"),
                    )
                })?;
                input
                    .coerce_toml(v)
                    .map_err(|e| (here.clone(), format!("preset `{name}`, input `{k}`: {e}")))?;
            }
        }
        let words = self
            .command
            .iter()
            .map(|w| ("command", w))
            .chain(self.env.values().map(|w| ("env", w)));
        for (field, word) in words {
            for ph in all_placeholders(word) {
                if self.input(ph).is_none() && !BUILTIN_PLACEHOLDERS.contains(&ph) {
                    return Err((
                        at(&format!("{{{ph}}}")),
                        format!(
                            "`{field}` uses {{{ph}}}, which is neither an input nor one of {}",
                            BUILTIN_PLACEHOLDERS.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    pub fn summary(&self) -> FunctionSummary {
        FunctionSummary {
            id: self.id.clone(),
            version: self.version.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            category: self.category.clone(),
            executor: match &self.executor {
                Executor::Process => "process".into(),
                Executor::Docker { image, .. } => format!("docker {image}"),
                Executor::Slurm { .. } => "slurm".into(),
            },
            inputs: self.inputs.clone(),
            presets: self.presets.keys().cloned().collect(),
            gpu: self.resources.gpu,
            source: self.source.clone(),
        }
    }

    /// Validates raw parameter text against the inputs, with the preset applied under
    /// what the user typed. Every bad field is reported, not just the first.
    pub fn resolve(
        &self,
        preset: Option<&str>,
        given: &BTreeMap<String, String>,
        default_timeout_s: u64,
    ) -> Result<(BTreeMap<String, serde_json::Value>, TaskResources), Vec<FieldError>> {
        let mut errors = Vec::new();
        let preset_def = match preset {
            None => None,
            Some(p) => match self.presets.get(p) {
                Some(def) => Some(def),
                None if PRESETS.contains(&p) => None,
                None => {
                    errors.push(FieldError {
                        field: "preset".into(),
                        message: format!("unknown preset {p:?}; use one of {}", PRESETS.join(", ")),
                    });
                    None
                }
            },
        };
        for k in given.keys() {
            if self.input(k).is_none() {
                errors.push(FieldError {
                    field: k.clone(),
                    message: format!(
                        "{} has no input named {k:?} (it has: {})",
                        self.id,
                        self.inputs
                            .iter()
                            .map(|i| i.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        let mut params = BTreeMap::new();
        for input in &self.inputs {
            let value = if let Some(text) = given.get(&input.name) {
                input.coerce_text(text)
            } else if let Some(v) = preset_def.and_then(|p| p.inputs.get(&input.name)) {
                input.coerce_toml(v)
            } else if let Some(d) = &input.default {
                input.coerce_toml(d)
            } else if input.required {
                Err("is required".to_string())
            } else {
                continue;
            };
            match value {
                Ok(v) => {
                    params.insert(input.name.clone(), v);
                }
                Err(message) => errors.push(FieldError {
                    field: input.name.clone(),
                    message,
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let over = preset_def.map(|p| &p.resources);
        let base = &self.resources;
        let resources = TaskResources {
            gpu: base.gpu || over.is_some_and(|o| o.gpu),
            vram_mb: over.and_then(|o| o.vram_mb).or(base.vram_mb).unwrap_or(0),
            cpu: over.and_then(|o| o.cpu).or(base.cpu),
            memory_mb: over.and_then(|o| o.memory_mb).or(base.memory_mb),
            timeout_s: over
                .and_then(|o| o.timeout_s)
                .or(base.timeout_s)
                .unwrap_or(default_timeout_s),
        };
        Ok((params, resources))
    }

    /// The argv with every `{placeholder}` filled in, in one pass: a value that itself
    /// holds `{other}` stays as typed (it is never expanded again).
    pub fn render_command(
        &self,
        params: &BTreeMap<String, serde_json::Value>,
        builtins: &BTreeMap<&str, String>,
    ) -> Vec<String> {
        self.command
            .iter()
            .map(|word| {
                expand_once(word, |ph| {
                    builtins
                        .get(ph)
                        .cloned()
                        .or_else(|| params.get(ph).map(json_text))
                })
            })
            .collect()
    }
}

/// Placeholders every command may use besides its inputs. `function_dir` is the folder
/// next to the template (its scripts), `/function` in a container.
pub const BUILTIN_PLACEHOLDERS: &[&str] = &[
    "slate_exe",
    "output_dir",
    "task_id",
    "workspace",
    "function_dir",
];

fn is_placeholder_name(n: &str) -> bool {
    !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Replaces each `{name}` in `word` by `value(name)` (empty when unknown), scanning the
/// template text only: what a value contains is copied, never scanned.
fn expand_once(word: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_placeholder_name(&after[..close]) => {
                out.push_str(&value(&after[..close]).unwrap_or_default());
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checks a `file` input: the path (relative ones are taken from `root`) must name an
/// existing, readable regular file inside `root` once every link is resolved. Returns
/// the resolved path, which is absolute (so it can never read as an option like `-rf`).
pub fn check_file_input(given: &str, root: &Path) -> Result<PathBuf, String> {
    let p = Path::new(given.trim());
    if given.trim().is_empty() {
        return Err("is empty: give a file path".into());
    }
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    };
    let real = crate::util::walk::resolve_inside(root, &p)
        .map_err(|e| format!("must be a file inside {}: {e}", root.display()))?;
    let meta = std::fs::metadata(&real).map_err(|e| format!("{}: {e}", real.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a regular file", real.display()));
    }
    std::fs::File::open(&real).map_err(|e| format!("{} is not readable: {e}", real.display()))?;
    Ok(real)
}

/// Every `{…}` in a word, valid name or not (for checking templates).
fn all_placeholders(word: &str) -> impl Iterator<Item = &str> {
    word.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        })
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<_> = core.split('.').collect();
    // Numbers without leading zeros, as semver says.
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

/// Everything the loader found: good templates by id, and one message per bad file.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    pub functions: BTreeMap<String, FunctionTemplate>,
    pub errors: Vec<String>,
}

/// Built-in templates compiled into the binary, so a new user can run one at once.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "assets/functions/demo/countdown.toml",
        include_str!("../../assets/functions/demo/countdown.toml"),
    ),
    (
        "assets/functions/demo/busybox-progress.toml",
        include_str!("../../assets/functions/demo/busybox-progress.toml"),
    ),
    (
        "assets/functions/git/push.toml",
        include_str!("../../assets/functions/git/push.toml"),
    ),
    (
        "assets/functions/git/pull.toml",
        include_str!("../../assets/functions/git/pull.toml"),
    ),
    (
        "assets/functions/gen/image.toml",
        include_str!("../../assets/functions/gen/image.toml"),
    ),
    (
        "assets/functions/gen/video.toml",
        include_str!("../../assets/functions/gen/video.toml"),
    ),
    (
        "assets/functions/gen/voice.toml",
        include_str!("../../assets/functions/gen/voice.toml"),
    ),
    (
        "assets/functions/post/upscale.toml",
        include_str!("../../assets/functions/post/upscale.toml"),
    ),
];

impl Registry {
    /// Loads the built-ins, then every `*.toml` under `dir` (walked safely: no links
    /// out of it, no loops, regular files only). An id defined twice is an error naming
    /// both files; the first definition (a built-in before any user file) stays.
    pub fn load(dir: Option<&Path>) -> Self {
        let mut reg = Registry::default();
        for (path, text) in BUILTINS {
            reg.add(FunctionTemplate::parse(text, Path::new(path)));
        }
        if let Some(dir) = dir {
            let walk = walk_templates(dir);
            // Only what looks like a template is worth a word (build contexts hold
            // big files and links of their own).
            for s in walk.skipped.iter().filter(|s| {
                s.split_once(": ")
                    .is_some_and(|(rel, _)| rel.ends_with(".toml"))
            }) {
                reg.errors.push(format!("{}: skipped {s}", dir.display()));
            }
            for f in walk.files.iter().filter(|f| f.rel.ends_with(".toml")) {
                let parsed = crate::util::walk::read_regular(&f.path, MAX_TEMPLATE_BYTES)
                    .map_err(|e| format!("{}: {e}", f.path.display()))
                    .and_then(|bytes| {
                        String::from_utf8(bytes)
                            .map_err(|_| format!("{}: not UTF-8 text", f.path.display()))
                    })
                    .and_then(|text| FunctionTemplate::parse(&text, &f.path));
                reg.add(parsed);
            }
        }
        reg
    }

    /// [`Registry::load`] from `dir`, plus a note when templates still sit in the old
    /// place, `<workspace>/functions`, which is no longer read.
    pub fn load_with_legacy(dir: &Path, workspace: &Path) -> Self {
        let mut reg = Self::load(Some(dir));
        let old = workspace.join("functions");
        if old != dir
            && !old.join("project.json").exists()
            && walk_templates(&old)
                .files
                .iter()
                .any(|f| f.rel.ends_with(".toml"))
        {
            reg.errors.push(format!(
                "{}: function templates are no longer read from the workspace (a project could take that name); move them to {}",
                old.display(),
                dir.display()
            ));
        }
        reg
    }

    fn add(&mut self, parsed: Result<FunctionTemplate, String>) {
        match parsed {
            Ok(t) => {
                if let Some(first) = self.functions.get(&t.id) {
                    self.errors.push(format!(
                        "{}: the id {:?} is already defined by {}; rename one of them (this one is not loaded)",
                        t.source.display(),
                        t.id,
                        first.source.display()
                    ));
                } else {
                    self.functions.insert(t.id.clone(), t);
                }
            }
            Err(e) => self.errors.push(e),
        }
    }

    pub fn get(&self, id: &str) -> Result<&FunctionTemplate, String> {
        self.functions.get(id).ok_or_else(|| {
            format!(
                "no function named {id:?}; known functions: {}",
                self.functions
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }

    pub fn summaries(&self) -> Vec<FunctionSummary> {
        self.functions.values().map(|t| t.summary()).collect()
    }
}

/// A template is a few KiB; anything far larger is not one.
pub const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;

fn walk_templates(dir: &Path) -> crate::util::walk::Walk {
    crate::util::walk::walk(
        dir,
        crate::util::walk::Limits {
            max_depth: 8,
            max_entries: 10_000,
            max_file_bytes: MAX_TEMPLATE_BYTES,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn countdown() -> FunctionTemplate {
        Registry::load(None).get("demo/countdown").unwrap().clone()
    }

    #[test]
    fn builtins_load() {
        let reg = Registry::load(None);
        assert!(reg.errors.is_empty(), "{:?}", reg.errors);
        assert!(reg.functions.contains_key("demo/countdown"));
        assert!(reg.functions.contains_key("demo/busybox-progress"));
    }

    #[test]
    fn presets_apply_under_typed_params_and_each_bad_field_is_named() {
        let t = countdown();
        let (p, _) = t.resolve(Some("draft"), &BTreeMap::new(), 60).unwrap();
        assert_eq!(p["steps"], 3);
        let given = BTreeMap::from([("steps".to_string(), "7".to_string())]);
        let (p, _) = t.resolve(Some("draft"), &given, 60).unwrap();
        assert_eq!(p["steps"], 7);
        let bad = BTreeMap::from([
            ("steps".to_string(), "-1".to_string()),
            ("interval".to_string(), "soon".to_string()),
            ("colour".to_string(), "red".to_string()),
        ]);
        let errs = t.resolve(Some("mega"), &bad, 60).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in ["preset", "steps", "interval", "colour"] {
            assert!(fields.contains(&f), "{f} not in {errs:?}");
        }
    }

    #[test]
    fn bad_templates_say_where_and_why() {
        let e = FunctionTemplate::parse("id = \"x\"\nversion = 1\n", Path::new("f/x.toml"))
            .unwrap_err();
        assert!(e.contains("f/x.toml") && e.contains("line 2"), "{e}");
        let e = FunctionTemplate::parse(
            "id='x'\nversion='1.0.0'\nname='X'\ncommand=['{nope}']\n[executor]\ntype='process'\n",
            Path::new("x.toml"),
        )
        .unwrap_err();
        assert!(e.contains("{nope}") && e.contains("line 4"), "{e}");
        for (bad, says) in [
            ("version='01.0.0'", "semver"),
            (
                "[[inputs]]\nname='n'\ntype='int'\nmin=10\nmax=1",
                "above `max`",
            ),
            ("[[inputs]]\nname='s'\ntype='string'\nmin=1", "min_length"),
            ("[[inputs]]\nname='output_dir'\ntype='string'", "built-in"),
            ("[resources]\ntimeout_s=0", "at least 1"),
            ("env={A='{zzz}'}", "{zzz}"),
        ] {
            let text =
                format!("id='x'\nname='X'\ncommand=['run']\n{bad}\n[executor]\ntype='process'\n");
            let text = if text.contains("version") {
                text
            } else {
                format!("version='1.0.0'\n{text}")
            };
            let e = FunctionTemplate::parse(&text, Path::new("x.toml")).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let slurm = |fields: &str| {
            FunctionTemplate::parse(
                &format!(
                    "id='x'\nversion='1.0.0'\nname='X'\ncommand=['run']\n[executor]\ntype='slurm'\n{fields}\n"
                ),
                Path::new("x.toml"),
            )
        };
        let ok = slurm("partition='gpu'\naccount='film'\ntime_limit_min=90\ngpus=2").unwrap();
        assert_eq!(ok.summary().executor, "slurm");
        for (bad, says) in [
            ("partition='gpu; rm -rf /'", "Slurm name"),
            ("account='-x'", "Slurm name"),
            ("gpus=65", "at most 64"),
            ("time_limit_min=0", "time_limit_min"),
            ("nodes=3", "nodes"),
        ] {
            let e = slurm(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn commands_fill_placeholders() {
        let t = countdown();
        let (p, _) = t.resolve(None, &BTreeMap::new(), 60).unwrap();
        let b = BTreeMap::from([
            ("slate_exe", "/bin/slate".to_string()),
            ("output_dir", "/o".to_string()),
        ]);
        let argv = t.render_command(&p, &b);
        assert_eq!(argv[0], "/bin/slate");
        assert!(argv.contains(&"/o".to_string()));
        assert!(argv.iter().all(|w| !w.contains('{')), "{argv:?}");
    }

    #[test]
    fn placeholders_expand_once() {
        let t = FunctionTemplate::parse(
            "id='x'\nversion='1.0.0'\nname='X'\ncommand=['p={a}', '{b}{a}{', '{nope']\n[executor]\ntype='process'\n[[inputs]]\nname='a'\ntype='string'\n[[inputs]]\nname='b'\ntype='string'\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let params = BTreeMap::from([
            ("a".to_string(), serde_json::Value::from("{b}")),
            ("b".to_string(), serde_json::Value::from("{output_dir}")),
        ]);
        let b = BTreeMap::from([("output_dir", "/out".to_string())]);
        assert_eq!(
            t.render_command(&params, &b),
            ["p={b}", "{output_dir}{b}{", "{nope"]
        );
    }

    #[test]
    fn resource_numbers_are_bounded() {
        for (bad, says) in [
            ("cpu = -2.0", "`cpu`"),
            ("cpu = nan", "`cpu`"),
            ("cpu = inf", "`cpu`"),
            ("memory_mb = 18446744073709551000", "memory_mb"),
            ("memory_mb = 0", "memory_mb"),
            ("max_concurrent = 0", "max_concurrent"),
            ("timeout_s = 99999999999", "timeout_s"),
            ("vram_mb = 99999999999", "vram_mb"),
        ] {
            let text = format!(
                "id='x'\nversion='1.0.0'\nname='X'\ncommand=['run']\n[executor]\ntype='process'\n[resources]\n{bad}\n"
            );
            let e = FunctionTemplate::parse(&text, Path::new("x.toml")).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
            let preset = format!(
                "id='x'\nversion='1.0.0'\nname='X'\ncommand=['run']\n[executor]\ntype='process'\n[presets.draft.resources]\n{bad}\n"
            );
            let e = FunctionTemplate::parse(&preset, Path::new("x.toml")).unwrap_err();
            assert!(e.contains("preset `draft`"), "{bad}: {e}");
        }
    }

    #[test]
    fn file_inputs_must_be_regular_files_inside_the_root() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("project");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("in.png"), "png").unwrap();
        std::fs::write(root.join("-rf"), "x").unwrap();
        crate::platform::symlink(Path::new("/etc/passwd"), &root.join("link.png")).unwrap();
        let ok = check_file_input("in.png", &root).unwrap();
        assert!(ok.is_absolute() && ok.ends_with("in.png"));
        // An option-like name is passed as an absolute path, never as `-rf`.
        assert!(check_file_input("-rf", &root).unwrap().is_absolute());
        for bad in ["/etc/passwd", "../x", "link.png", "missing.png", ".", ""] {
            assert!(check_file_input(bad, &root).is_err(), "{bad}");
        }
    }
}
