//! The Run function dialog (Ctrl+R, palette "Run function…"): pick a function and a
//! preset, fill a form generated from the template's typed inputs, submit. Each field is
//! checked as it is typed; the runner's own verdict is shown next to the fields too.

use std::collections::BTreeMap;

use crate::events::Command;
use crate::runner::function::{FunctionSummary, InputKind, PRESETS};
use crate::runner::task::TaskRequest;
use crate::ui::theme;
use crate::ui::views::ViewCtx;

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
}

impl RunDialog {
    pub fn open(&mut self, functions: &[FunctionSummary], default_quality: Option<&str>) {
        self.open = true;
        self.default_quality = default_quality.map(str::to_string);
        self.focus_pending = true;
        self.waiting_for = None;
        self.priority = "0".into();
        if !functions.iter().any(|f| f.id == self.function)
            && let Some(f) = functions.first()
        {
            self.select(f);
        }
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
    }

    pub fn ui(&mut self, egui_ctx: &egui::Context, ctx: &mut ViewCtx<'_>) {
        if !self.open {
            return;
        }
        if let Some(before) = self.waiting_for
            && ctx.vm.submitted.len() > before
        {
            self.open = false;
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
                self.open = false;
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
            ui.heading("Run function");
            let combo = egui::ComboBox::from_label("Function")
                .selected_text(&f.id)
                .show_ui(ui, |ui| {
                    for other in functions {
                        if ui
                            .selectable_label(other.id == f.id, &other.id)
                            .on_hover_text(&other.description)
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
            ui.weak(&f.description);
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
                    let label = ui.label(input.label()).on_hover_text(&input.description);
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
            let (project, shot) = ctx
                .vm
                .project
                .as_ref()
                .and_then(|p| p.manifest.as_ref())
                .map(|m| (Some(m.name.clone()), None))
                .unwrap_or((None, None));
            ctx.commands.send(Command::SubmitTask {
                request: TaskRequest {
                    function: f.id.clone(),
                    preset: self.preset.clone(),
                    params,
                    priority,
                    project,
                    shot,
                    executor: None,
                },
            });
        }
        if cancel || modal.should_close() {
            self.open = false;
        }
    }
}
