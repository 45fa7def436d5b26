//! The Run function dialog (Ctrl+R, palette "Run function…"): pick a function and a
//! preset, fill a form generated from the template's typed inputs, submit. Each field is
//! checked as it is typed; the runner's own verdict is shown next to the fields too.

use std::collections::BTreeMap;

use crate::events::Command;
use crate::model::function::{FunctionSummary, InputKind, PRESETS};
use crate::model::task::TaskRequest;
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::UiExt as _;

#[derive(Default)]
pub struct RunDialog {
    pub open: bool,
    function: String,
    preset: Option<String>,
    values: BTreeMap<String, String>,
    priority: String,
    focus_pending: bool,
    /// How many tasks this window had submitted when we sent ours.
    waiting_for: Option<usize>,
    /// Settings → Workspace → default quality, preselected when a function has it.
    default_quality: Option<String>,
    /// The shot this run generates a take for (Generate take…), shown at the top.
    pub shot: Option<ShotBinding>,
}

/// The shot a Run dialog is bound to: its ids, and the story to fill inputs from.
#[derive(Clone, Debug)]
pub struct ShotBinding {
    /// `Shot 1.2.3 Hero`
    pub label: String,
    /// `1.2.3`
    pub number: String,
    pub shot_ref: crate::model::task::ShotRef,
    pub manifest: Box<crate::model::manifest::Manifest>,
}

impl RunDialog {
    pub fn open(&mut self, functions: &[FunctionSummary], default_quality: Option<&str>) {
        if self.shot.take().is_some() {
            // Leaving a shot-bound run: its filled-in values do not carry over.
            self.function.clear();
        }
        self.open_inner(functions, default_quality);
    }

    /// Opens bound to a shot: the header names it, inputs declared `from = "…"` are
    /// filled from it, and the task makes the shot's next take. `prefill` (function,
    /// preset, parameters) re-runs a take with its settings.
    pub fn open_for_shot(
        &mut self,
        functions: &[FunctionSummary],
        default_quality: Option<&str>,
        binding: ShotBinding,
        prefill: Option<(String, Option<String>, BTreeMap<String, String>)>,
    ) {
        self.shot = Some(binding);
        self.function.clear();
        match &prefill {
            Some((id, _, _)) => self.function = id.clone(),
            // A shot wants a picture or a clip: start on a generator when there is one.
            None => {
                if let Some(f) = functions.iter().find(|f| f.category == "gen") {
                    self.function = f.id.clone();
                }
            }
        }
        self.open_inner(functions, default_quality);
        if let Some(f) = functions.iter().find(|f| f.id == self.function) {
            self.select(f);
        }
        if let Some((_, preset, params)) = prefill {
            self.preset = preset;
            for (k, v) in params {
                self.values.insert(k, v);
            }
        }
    }

    fn open_inner(&mut self, functions: &[FunctionSummary], default_quality: Option<&str>) {
        self.open = true;
        self.default_quality = default_quality.map(str::to_string);
        self.focus_pending = true;
        self.waiting_for = None;
        self.priority = "0".into();
        // The last function stays picked, but every opening starts from its defaults:
        // values typed for an earlier run must not leak into the next one.
        if let Some(f) = functions
            .iter()
            .find(|f| f.id == self.function)
            .or(functions.first())
        {
            self.select(f);
        }
    }

    /// Closes the dialog and any popup it left open: a popup remembered as open while
    /// nothing shows it would swallow the next click on the picker and keep Esc from
    /// closing the dialog.
    fn close(&mut self, egui_ctx: &egui::Context) {
        self.open = false;
        egui::Popup::close_all(egui_ctx);
    }

    fn select(&mut self, f: &FunctionSummary) {
        self.function = f.id.clone();
        self.preset = self
            .default_quality
            .clone()
            .filter(|q| f.presets.iter().any(|p| p == q));
        self.values = f
            .inputs
            .iter()
            .map(|i| {
                let text = match &i.default {
                    Some(toml::Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => String::new(),
                };
                (i.name.clone(), text)
            })
            .collect();
        if let Some(b) = &self.shot {
            // The shot wins over a template's default for inputs bound to it.
            for i in f.inputs.iter().filter(|i| i.from.is_some()) {
                self.values.remove(&i.name);
            }
            crate::model::take::bind_inputs(&f.inputs, &b.manifest, &b.shot_ref, &mut self.values);
        }
    }

    pub fn ui(&mut self, egui_ctx: &egui::Context, ctx: &mut ViewCtx<'_>) {
        if !self.open {
            return;
        }
        if let Some(before) = self.waiting_for
            && ctx.vm.submitted.len() > before
        {
            self.close(egui_ctx);
            return;
        }
        let functions = &ctx.vm.functions;
        let Some(f) = functions.iter().find(|f| f.id == self.function).cloned() else {
            let modal = egui::Modal::new(egui::Id::unique("run_dialog")).show(egui_ctx, |ui| {
                ui.heading("Run function");
                ui.label("No functions are loaded yet.");
                ui.button("Close").clicked()
            });
            if modal.inner || modal.should_close() {
                self.close(egui_ctx);
            }
            return;
        };
        let rejected: BTreeMap<String, String> = match &ctx.vm.rejected {
            Some((fid, errors)) if *fid == f.id && self.waiting_for.is_some() => errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            _ => BTreeMap::new(),
        };
        let mut chosen = None;
        let modal = egui::Modal::new(egui::Id::unique("run_dialog")).show(egui_ctx, |ui| {
            ui.set_width(480.0);
            match &self.shot {
                Some(b) => {
                    ui.heading("Generate take");
                    ui.label(
                        egui::RichText::new(format!("For {}", b.label))
                            .strong()
                            .color(theme::ACCENT),
                    );
                    ui.weak("The output becomes this shot's next take.");
                }
                None => {
                    ui.heading("Run function");
                }
            }
            let combo = egui::ComboBox::from_label("Function")
                .selected_text(&f.id)
                .show_ui(ui, |ui| {
                    for other in functions {
                        if ui
                            .selectable_label(other.id == f.id, &other.id)
                            .on_hover_text(strip_backticks(&other.description))
                            .clicked()
                        {
                            chosen = Some(other.clone());
                        }
                    }
                });
            if self.focus_pending {
                combo.response.request_focus();
                self.focus_pending = false;
            }
            ui.markdown_weak(&f.description);
            ui.horizontal(|ui| {
                ui.label("Preset");
                ui.radio_value(&mut self.preset, None, "none");
                for p in PRESETS
                    .iter()
                    .filter(|p| f.presets.iter().any(|fp| fp == *p))
                {
                    ui.radio_value(&mut self.preset, Some(p.to_string()), *p);
                }
            });
            let mut all_ok = true;
            egui::Grid::new("run_inputs").num_columns(2).show(ui, |ui| {
                for input in &f.inputs {
                    let label = ui
                        .label(input.label())
                        .on_hover_text(strip_backticks(&input.description));
                    let value = self.values.entry(input.name.clone()).or_default();
                    ui.vertical(|ui| {
                        match input.kind {
                            InputKind::Bool => {
                                let mut b = matches!(value.as_str(), "true" | "yes" | "1" | "on");
                                if ui.checkbox(&mut b, input.label()).changed() {
                                    *value = b.to_string();
                                }
                            }
                            InputKind::Enum => {
                                egui::ComboBox::from_id_salt(("enum", &input.name))
                                    .selected_text(value.as_str())
                                    .show_ui(ui, |ui| {
                                        for c in &input.choices {
                                            ui.selectable_value(value, c.clone(), c);
                                        }
                                    })
                                    .response
                                    .labelled_by(label.id);
                            }
                            _ => {
                                ui.add(egui::TextEdit::singleline(value).desired_width(240.0))
                                    .labelled_by(label.id);
                            }
                        }
                        let local = if value.trim().is_empty() && !input.required {
                            Ok(())
                        } else {
                            input.coerce_text(value).map(|_| ())
                        };
                        if let Err(e) = &local {
                            all_ok = false;
                            ui.colored_label(theme::ERROR, e);
                        } else if let Some(e) = rejected.get(&input.name) {
                            ui.colored_label(theme::ERROR, e);
                        }
                    });
                    ui.end_row();
                }
                let label = ui.label("Priority");
                ui.add(egui::TextEdit::singleline(&mut self.priority).desired_width(80.0))
                    .labelled_by(label.id);
                ui.end_row();
            });
            let priority = self.priority.trim().parse::<i32>();
            if priority.is_err() {
                all_ok = false;
                ui.colored_label(
                    theme::ERROR,
                    "priority is a whole number, higher runs first",
                );
            }
            for (field, e) in rejected
                .iter()
                .filter(|(k, _)| f.inputs.iter().all(|i| &i.name != *k))
            {
                ui.colored_label(theme::ERROR, format!("{field}: {e}"));
            }
            let enter = ui.input(|i| i.key_pressed(egui::Key::Enter))
                && !egui::Popup::is_any_open(ui.ctx());
            ui.horizontal(|ui| {
                let run = ui.add_enabled(all_ok, egui::Button::new("Run")).clicked();
                let cancel = ui.button("Cancel").clicked();
                ((run || enter) && all_ok, cancel, priority.unwrap_or(0))
            })
            .inner
        });
        if let Some(other) = chosen {
            self.select(&other);
        }
        let (run, cancel, priority) = modal.inner;
        if run {
            let params = self
                .values
                .iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            self.waiting_for = Some(ctx.vm.submitted.len());
            let (project, shot) = match &self.shot {
                Some(b) => (
                    b.shot_ref
                        .project_dir
                        .as_ref()
                        .map(|p| p.display().to_string()),
                    Some(b.number.clone()),
                ),
                None => ctx
                    .vm
                    .project
                    .as_ref()
                    .and_then(|p| p.manifest.as_ref())
                    .map(|m| (Some(m.name.clone()), None))
                    .unwrap_or((None, None)),
            };
            let shot_ref = self.shot.as_ref().map(|b| b.shot_ref.clone());
            ctx.commands.send(Command::SubmitTask {
                request: TaskRequest {
                    function: f.id.clone(),
                    preset: self.preset.clone(),
                    params,
                    priority,
                    project,
                    shot,
                    shot_ref,
                    executor: None,
                    host: None,
                },
            });
        }
        if cancel || modal.should_close() {
            self.close(egui_ctx);
        }
    }
}

/// Hover texts are plain: a template's `code` spans lose their backticks there.
fn strip_backticks(text: &str) -> String {
    crate::ui::widgets::inline_code_spans(text).concat()
}
