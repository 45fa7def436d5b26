//! The Scene tab as the director's board: the selected scene's shots as cards (active
//! take's thumbnail, type, duration, take count, a live badge while a take generates),
//! the selected shot's takes as a virtualised thumbnail grid (review state, star, active
//! mark), a full-size view, compare modes and the metadata panel.
//!
//! Pictures are decoded on a worker thread ([`Pictures`]); the UI thread only uploads
//! finished pixels as textures, and keeps a bounded number of them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use egui::{Color32, Key, Modifiers, Rect, Sense, Vec2, pos2};

use crate::client::media;
use crate::events::Command;
use crate::model::manifest::Manifest;
use crate::model::take::{self as take_store, Review, ShotFolder, TakeAction};
use crate::model::take::{ShotTakes, Take};
use crate::model::task::{ShotRef, TaskId, TaskRequest};
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::views::project_browser::StoryItem;
use crate::ui::widgets::UiExt as _;

/// Grid tiles: the small thumbnail's size on screen.
const TILE: f32 = 128.0;
/// Textures kept at most (small thumbnails are 64 KiB; compare pictures up to 4 MiB).
pub const MAX_TEXTURES: usize = 600;
/// Compare and full-size pictures are decoded to fit this many pixels on a side.
const VIEW_MAX: u32 = 1024;

/// How two takes are compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CompareMode {
    #[default]
    SideBySide,
    Wipe,
    Onion,
    Difference,
}

impl CompareMode {
    pub const ALL: [CompareMode; 4] = [
        CompareMode::SideBySide,
        CompareMode::Wipe,
        CompareMode::Onion,
        CompareMode::Difference,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CompareMode::SideBySide => "Side by side",
            CompareMode::Wipe => "Wipe",
            CompareMode::Onion => "Onion",
            CompareMode::Difference => "Difference",
        }
    }
}

/// A picture to decode: a file, or the difference of two.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PicKey {
    File(PathBuf, u32),
    Diff(PathBuf, PathBuf),
}

enum PicState {
    Loading,
    Ready(egui::TextureHandle, u64),
    Failed(String),
}

/// Pictures decoded off the UI thread, uploaded as textures, at most [`MAX_TEXTURES`].
#[derive(Default)]
pub struct Pictures {
    tx: Option<crossbeam_channel::Sender<PicKey>>,
    rx: Option<crossbeam_channel::Receiver<(PicKey, Result<media::Rgba, String>)>>,
    cache: HashMap<PicKey, PicState>,
    frame: u64,
}

impl Pictures {
    fn worker(&mut self, ctx: &egui::Context) -> &crossbeam_channel::Sender<PicKey> {
        if self.tx.is_none() {
            let (tx, jobs) = crossbeam_channel::unbounded::<PicKey>();
            let (done_tx, done) = crossbeam_channel::unbounded();
            let ctx = ctx.clone();
            std::thread::Builder::new()
                .name("slate-pictures".into())
                .spawn(move || {
                    for key in jobs {
                        let result = match &key {
                            PicKey::File(p, max) => media::load_rgba(p, *max),
                            PicKey::Diff(a, b) => difference(a, b),
                        };
                        if done_tx.send((key, result)).is_err() {
                            return;
                        }
                        ctx.request_repaint();
                    }
                })
                .expect("spawn picture thread");
            self.tx = Some(tx);
            self.rx = Some(done);
        }
        self.tx.as_ref().expect("worker started")
    }

    /// Takes finished pictures from the worker and drops the least recently used
    /// textures beyond the bound. Call once a frame.
    pub fn begin_frame(&mut self, ctx: &egui::Context) {
        self.frame += 1;
        if let Some(rx) = &self.rx {
            for (key, result) in rx.try_iter() {
                let state = match result {
                    Ok(img) => {
                        let color = egui::ColorImage::from_rgba_unmultiplied(
                            [img.width as usize, img.height as usize],
                            &img.pixels,
                        );
                        let name = format!("{key:?}");
                        PicState::Ready(
                            ctx.load_texture(name, color, egui::TextureOptions::LINEAR),
                            self.frame,
                        )
                    }
                    Err(e) => PicState::Failed(e),
                };
                self.cache.insert(key, state);
            }
        }
        let ready = self
            .cache
            .values()
            .filter(|s| matches!(s, PicState::Ready(..)))
            .count();
        if ready > MAX_TEXTURES {
            let mut by_age: Vec<(u64, PicKey)> = self
                .cache
                .iter()
                .filter_map(|(k, s)| match s {
                    PicState::Ready(_, used) => Some((*used, k.clone())),
                    _ => None,
                })
                .collect();
            by_age.sort_by_key(|(used, _)| *used);
            for (_, k) in by_age.into_iter().take(ready - MAX_TEXTURES) {
                self.cache.remove(&k);
            }
        }
    }

    fn get(
        &mut self,
        ctx: &egui::Context,
        key: PicKey,
    ) -> Result<Option<egui::TextureHandle>, String> {
        let frame = self.frame;
        match self.cache.get_mut(&key) {
            Some(PicState::Ready(t, used)) => {
                *used = frame;
                Ok(Some(t.clone()))
            }
            Some(PicState::Loading) => Ok(None),
            Some(PicState::Failed(e)) => Err(e.clone()),
            None => {
                self.worker(ctx).send(key.clone()).ok();
                self.cache.insert(key, PicState::Loading);
                Ok(None)
            }
        }
    }

    /// A picture file, decoded to fit `max` pixels: `Ok(None)` while it loads.
    pub fn file(
        &mut self,
        ctx: &egui::Context,
        path: &Path,
        max: u32,
    ) -> Result<Option<egui::TextureHandle>, String> {
        self.get(ctx, PicKey::File(path.to_path_buf(), max))
    }

    /// Textures held now (for the bench and tests).
    pub fn textures(&self) -> usize {
        self.cache
            .values()
            .filter(|s| matches!(s, PicState::Ready(..)))
            .count()
    }

    /// Whether every requested picture has arrived (tests wait on it).
    pub fn idle(&self) -> bool {
        !self.cache.values().any(|s| matches!(s, PicState::Loading))
    }

    /// Forgets everything (a take's files changed on disk).
    pub fn clear(&mut self) {
        self.cache.clear();
    }
}

/// |A − B| per channel, B scaled to A's size (worker thread).
fn difference(a: &Path, b: &Path) -> Result<media::Rgba, String> {
    let a = media::load_rgba(a, VIEW_MAX)?;
    let b = media::decode(b)?
        .resize_exact(a.width, a.height, image::imageops::FilterType::Triangle)
        .into_rgba8();
    let pixels = a
        .pixels
        .chunks_exact(4)
        .zip(b.as_raw().chunks_exact(4))
        .flat_map(|(p, q)| {
            [
                p[0].abs_diff(q[0]),
                p[1].abs_diff(q[1]),
                p[2].abs_diff(q[2]),
                255,
            ]
        })
        .collect();
    Ok(media::Rgba {
        width: a.width,
        height: a.height,
        pixels,
    })
}

/// What the board asks the app to do after it drew (things only the app owns).
#[derive(Clone, Debug, PartialEq)]
pub enum BoardRequest {
    /// Open the Run dialog bound to this shot.
    Generate(StoryItem),
    /// Open the Run dialog bound to the take's shot, pre-filled from the take.
    EditRerun {
        item: StoryItem,
        function: String,
        preset: Option<String>,
        params: BTreeMap<String, String>,
    },
}

/// The board's own state.
#[derive(Default)]
pub struct SceneBoard {
    pub pictures: Pictures,
    /// The selected take of the selected shot.
    pub selected: Option<u32>,
    /// Takes in the compare view (2–4), A first.
    pub compare: Vec<u32>,
    pub mode: CompareMode,
    /// Wipe divider position (0–1) and direction.
    pub wipe: f32,
    pub wipe_vertical: bool,
    pub onion: f32,
    /// The take open full-size.
    pub full: Option<u32>,
    /// Deleted takes this session, newest last (Ctrl+Z restores).
    pub undo: Vec<(ShotFolder, u32)>,
    /// The shot the grid shows, to reset the selection when it changes.
    for_shot: Option<ShotFolder>,
    takes_version: u64,
    pub requests: Vec<BoardRequest>,
    /// "Keep N newest": N, and the takes it would delete while the question is open.
    pub keep: usize,
    pub cleanup: Option<Vec<u32>>,
    /// A take action the palette asked for, done on the selected take next frame.
    pub palette_action: Option<crate::ui::commands::UiCommand>,
}

/// The shot folder of a manifest shot.
pub fn folder_of(m: &Manifest, c: usize, s: usize, h: usize) -> Option<(ShotFolder, ShotRef)> {
    let mut r = take_store::shot_by_numbers(m, c + 1, s + 1, h + 1).ok()?;
    r.project_dir = None;
    Some((ShotFolder::of(&r), r))
}

fn shot_takes<'a>(ctx: &'a ViewCtx<'_>, f: &ShotFolder) -> Option<&'a ShotTakes> {
    takes_of(ctx.vm, f)
}

/// The takes of shot folder `f` in the open project.
pub fn takes_of<'a>(
    vm: &'a crate::ui::view_model::ViewModel,
    f: &ShotFolder,
) -> Option<&'a ShotTakes> {
    vm.project
        .as_ref()?
        .takes
        .shot(&f.chapter, &f.scene, &f.shot)
}

fn review_colour(r: Review) -> Color32 {
    match r {
        Review::Pending => theme::MUTED,
        Review::Approved => theme::OK,
        Review::Rejected => theme::ERROR,
    }
}

impl SceneBoard {
    /// Whether the board shows shot folder `f` (its selection is about that shot).
    pub fn shows(&self, f: &ShotFolder) -> bool {
        self.for_shot.as_ref() == Some(f)
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        selection: &mut Option<StoryItem>,
    ) {
        self.pictures.begin_frame(ui.ctx());
        if ctx.vm.takes_version != self.takes_version {
            self.takes_version = ctx.vm.takes_version;
            // Files under a take may have changed (review edits rewrite only JSON, but
            // a restore brings back pictures): drop failed entries, keep the rest.
            self.pictures
                .cache
                .retain(|_, s| !matches!(s, PicState::Failed(_)));
        }
        let Some(open) = ctx.vm.project.as_ref() else {
            ui.empty_state("Scene", &crate::ui::views::no_project_hint(ctx.vm));
            return;
        };
        let project = open.path.clone();
        let Some(m) = open.manifest.clone() else {
            ui.empty_state("Scene", "project.json could not be read");
            return;
        };
        let (c, s, shot) = match *selection {
            Some(StoryItem::Scene(c, s)) => (c, s, None),
            Some(StoryItem::Shot(c, s, h)) => (c, s, Some(h)),
            _ => {
                ui.empty_state(
                    "Scene",
                    "Select a scene in the project browser to see its shots and takes",
                );
                return;
            }
        };
        let Some(scene) = m.narrative.chapters.get(c).and_then(|ch| ch.scenes.get(s)) else {
            return;
        };
        ui.heading(&scene.name);
        if scene.shots.is_empty() {
            ui.weak("No shots yet: add one in the properties panel");
            return;
        }
        // Shot cards.
        egui::ScrollArea::horizontal()
            .id_salt("shot_cards")
            .max_height(TILE + 70.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    for (h, sh) in scene.shots.iter().enumerate() {
                        let Some((folder, _)) = folder_of(&m, c, s, h) else {
                            continue;
                        };
                        let st = shot_takes(ctx, &folder).cloned();
                        let picked = shot == Some(h);
                        let frame = egui::Frame::group(ui.style()).stroke(if picked {
                            egui::Stroke::new(2.0, theme::ACCENT)
                        } else {
                            ui.visuals().widgets.noninteractive.bg_stroke
                        });
                        let resp = frame
                            .show(ui, |ui| {
                                ui.set_width(TILE + 8.0);
                                ui.vertical(|ui| {
                                    let active = st.as_ref().and_then(|st| {
                                        st.takes.iter().find(|t| Some(&t.id) == st.active.as_ref())
                                    });
                                    self.thumb(ui, ctx, &project, active, TILE * 0.5625, true);
                                    ui.label(egui::RichText::new(&sh.name).strong());
                                    let n = st.as_ref().map_or(0, |st| st.takes.len());
                                    ui.weak(format!(
                                        "{} · {}s · {n} take{}",
                                        sh.shot_type.label(),
                                        sh.duration,
                                        if n == 1 { "" } else { "s" }
                                    ));
                                    if let Some((id, p, msg)) = live_task(ctx, &folder) {
                                        let bar = ui.add(
                                            egui::ProgressBar::new(p)
                                                .desired_width(TILE)
                                                .text(format!("generating {}", msg)),
                                        );
                                        crate::ui::repaint::mark_shown(ui, bar.rect, id);
                                    }
                                });
                            })
                            .response;
                        // The whole card is one button: a click anywhere on it, or
                        // Tab to it and Enter/Space, selects the shot; it is named for
                        // screen readers.
                        let resp = ui.interact(
                            resp.rect,
                            ui.scope_id().with(("shot_card", h)),
                            Sense::click(),
                        );
                        resp.widget_info(|| {
                            egui::WidgetInfo::selected(
                                egui::Role::Button,
                                true,
                                picked,
                                format!("Shot {}", sh.name),
                            )
                        });
                        if resp.has_focus() {
                            ui.painter().rect_stroke(
                                resp.rect.expand(1.0),
                                4.0,
                                ui.visuals().selection.stroke,
                                egui::StrokeKind::Outside,
                            );
                        }
                        if resp.clicked() {
                            *selection = Some(StoryItem::Shot(c, s, h));
                        }
                    }
                });
            });
        ui.separator();
        let Some(h) = shot else {
            ui.weak("Select a shot to see its takes");
            return;
        };
        let Some((folder, _)) = folder_of(&m, c, s, h) else {
            return;
        };
        if self.for_shot.as_ref() != Some(&folder) {
            self.for_shot = Some(folder.clone());
            // A palette action was for the shot shown before, never for this one.
            self.palette_action = None;
            self.selected = None;
            self.compare.clear();
            self.full = None;
        }
        let st = shot_takes(ctx, &folder).cloned();
        let takes: Vec<Take> = st.as_ref().map(|s| s.takes.clone()).unwrap_or_default();
        let active = st.as_ref().and_then(|s| s.active.clone());
        ui.horizontal(|ui| {
            if ui
                .button("Generate take…")
                .on_hover_text("Run a function for this shot (Ctrl+G)")
                .clicked()
            {
                self.requests
                    .push(BoardRequest::Generate(StoryItem::Shot(c, s, h)));
            }
            ui.label(crate::util::count(takes.len(), "take"));
            ui.separator();
            if self.keep == 0 {
                self.keep = 5;
            }
            ui.add(
                egui::DragValue::new(&mut self.keep)
                    .range(1..=999)
                    .prefix("keep "),
            );
            let asked = self.palette_action == Some(crate::ui::commands::UiCommand::CleanUpTakes);
            if asked {
                self.palette_action = None;
            }
            if (ui
                .button("Clean up…")
                .on_hover_text(
                    "Delete all but the newest takes; active, approved and starred takes stay",
                )
                .clicked()
                || asked)
                && let Some(st) = &st
            {
                self.cleanup = Some(take_store::cleanup_plan(st, self.keep));
            }
            if self.compare.len() >= 2 && ui.button("Close compare").clicked() {
                self.compare.clear();
            } else if takes.len() >= 2 && self.compare.len() < 2 && ui.button("Compare").clicked() {
                self.start_compare(&takes, active.as_deref());
            }
        });
        if let Some(plan) = self.cleanup.clone() {
            let modal = egui::Modal::new(egui::Id::unique("take_cleanup")).show(ui.ctx(), |ui| {
                ui.heading("Clean up takes");
                if plan.is_empty() {
                    ui.label(format!(
                        "Nothing to delete: keeping the {} newest plus active, approved and starred takes.",
                        self.keep
                    ));
                    return ui.button("Close").clicked().then_some(false);
                }
                ui.label(format!(
                    "These {} will be deleted (restorable with Ctrl+Z while the project is open):",
                    crate::util::count(plan.len(), "take")
                ));
                ui.label(
                    plan.iter()
                        .map(|n| take_store::take_id(*n))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                ui.horizontal(|ui| {
                    if ui.button(format!("Delete {}", crate::util::count(plan.len(), "take"))).clicked() {
                        return Some(true);
                    }
                    ui.button("Cancel").clicked().then_some(false)
                })
                .inner
            });
            match modal.inner {
                Some(true) => {
                    for n in &plan {
                        ctx.commands.send(Command::TakeAction {
                            folder: folder.clone(),
                            number: *n,
                            action: TakeAction::Delete,
                        });
                        self.undo.push((folder.clone(), *n));
                    }
                    self.cleanup = None;
                }
                Some(false) => self.cleanup = None,
                None if modal.should_close() => self.cleanup = None,
                None => {}
            }
        }
        if self.selected.is_none() {
            self.selected = takes.last().map(|t| t.number);
        }
        self.keys(ui, ctx, &folder, &takes, active.as_deref());
        if let Some(n) = self.full {
            if let Some(t) = takes.iter().find(|t| t.number == n) {
                self.full_view(ui, ctx, &project, t);
                return;
            }
            self.full = None;
        }
        if self.compare.len() >= 2 {
            self.compare_view(ui, ctx, &project, &takes);
            return;
        }
        if takes.is_empty() {
            ui.empty_state(
                "No takes yet",
                "Press Ctrl+G (or Generate take…) to run a function for this shot",
            );
            return;
        }
        // The metadata panel on the right, the grid on the left.
        egui::Panel::right("take_metadata")
            .resizable(true)
            .default_size(280.0)
            .show(ui, |ui| {
                if let Some(t) = takes.iter().find(|t| Some(t.number) == self.selected) {
                    self.metadata_ui(ui, ctx, t, c, s, h);
                }
            });
        self.grid(ui, ctx, &project, &takes, active.as_deref());
    }

    fn start_compare(&mut self, takes: &[Take], active: Option<&str>) {
        // The default pair: the active take and the newest one (or the selected one).
        let newest = takes.last().map(|t| t.number);
        let a = takes
            .iter()
            .find(|t| Some(t.id.as_str()) == active)
            .map(|t| t.number)
            .or(self.selected)
            .or(newest);
        let b = if self.selected.is_some() && self.selected != a {
            self.selected
        } else {
            takes.iter().rev().map(|t| t.number).find(|n| Some(*n) != a)
        };
        if let (Some(a), Some(b)) = (a, b) {
            self.compare = vec![a, b];
            if self.wipe == 0.0 {
                self.wipe = 0.5;
            }
            if self.onion == 0.0 {
                self.onion = 0.5;
            }
        }
    }

    fn keys(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        folder: &ShotFolder,
        takes: &[Take],
        active: Option<&str>,
    ) {
        use crate::ui::commands::UiCommand;
        match self.palette_action {
            Some(UiCommand::CompareTakes) => {
                self.palette_action = None;
                self.start_compare(takes, active);
            }
            Some(UiCommand::DeleteTake) => {
                self.palette_action = None;
                if let Some(n) = self
                    .selected
                    .filter(|n| takes.iter().any(|t| t.number == *n))
                {
                    self.delete_take(ctx, folder, takes, n);
                }
            }
            _ => {}
        }
        if let Some(cmd) = self.palette_action.take()
            && let Some(take) = takes.iter().find(|t| Some(t.number) == self.selected)
        {
            let action = match cmd {
                UiCommand::ApproveTake => Some(TakeAction::Review(Review::Approved)),
                UiCommand::RejectTake => Some(TakeAction::Review(Review::Rejected)),
                UiCommand::StarTake => Some(TakeAction::Star(!take_store::is_starred(take))),
                UiCommand::ActivateTake if active != Some(take.id.as_str()) => {
                    Some(TakeAction::Activate)
                }
                _ => None,
            };
            if let Some(action) = action {
                ctx.commands.send(Command::TakeAction {
                    folder: folder.clone(),
                    number: take.number,
                    action,
                });
            }
        }
        let ctx_egui = ui.ctx().clone();
        if egui::Popup::is_any_open(&ctx_egui) || ctx_egui.memory(|m| m.top_modal_layer().is_some())
        {
            return;
        }
        // Ctrl+Z brings back a deleted take unless a text field has it (its own undo);
        // a focused button (a tree row just clicked) does not stop it.
        if !ctx_egui.text_edit_focused()
            && ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Z))
        {
            if let Some((f, n)) = self.undo.pop() {
                ctx.commands.send(Command::TakeAction {
                    folder: f,
                    number: n,
                    action: TakeAction::Restore,
                });
            }
            return;
        }
        // Plain keys (Space, A, Delete…) belong to whatever widget has the keyboard.
        if ctx_egui.egui_wants_keyboard_input() {
            return;
        }
        let key = |k: Key| ui.input_mut(|i| i.consume_key(Modifiers::NONE, k));
        let act = |ctx: &ViewCtx<'_>, n: u32, action: TakeAction| {
            ctx.commands.send(Command::TakeAction {
                folder: folder.clone(),
                number: n,
                action,
            })
        };
        if self.compare.len() >= 2 {
            if key(Key::Num1) || key(Key::Num2) {
                self.compare.swap(0, 1);
            }
            if key(Key::H) {
                self.wipe_vertical = false;
                self.mode = CompareMode::Wipe;
            }
            if key(Key::V) {
                self.wipe_vertical = true;
                self.mode = CompareMode::Wipe;
            }
            if key(Key::Escape) {
                self.compare.clear();
            }
            return;
        }
        if self.full.is_some() && key(Key::Escape) {
            self.full = None;
            return;
        }
        let idx = takes.iter().position(|t| Some(t.number) == self.selected);
        let step = |d: isize| {
            idx.map(|i| (i as isize + d).clamp(0, takes.len() as isize - 1) as usize)
                .and_then(|i| takes.get(i))
                .map(|t| t.number)
        };
        if key(Key::ArrowRight) || key(Key::ArrowDown) {
            self.selected = step(1).or(self.selected);
            if self.full.is_some() {
                self.full = self.selected;
            }
        }
        if key(Key::ArrowLeft) || key(Key::ArrowUp) {
            self.selected = step(-1).or(self.selected);
            if self.full.is_some() {
                self.full = self.selected;
            }
        }
        let Some(n) = self
            .selected
            .filter(|n| takes.iter().any(|t| t.number == *n))
        else {
            return;
        };
        let take = takes.iter().find(|t| t.number == n).expect("selected take");
        if key(Key::Enter) {
            self.full = Some(n);
        }
        if key(Key::Space) && active != Some(take.id.as_str()) {
            act(ctx, n, TakeAction::Activate);
        }
        if key(Key::A) {
            act(ctx, n, TakeAction::Review(Review::Approved));
        }
        if key(Key::R) {
            act(ctx, n, TakeAction::Review(Review::Rejected));
        }
        if key(Key::S) {
            act(ctx, n, TakeAction::Star(!take_store::is_starred(take)));
        }
        if key(Key::C) {
            self.start_compare(takes, active);
        }
        if key(Key::Delete) {
            self.delete_take(ctx, folder, takes, n);
        }
    }

    /// Deletes take `n` (Ctrl+Z restores it) and selects its neighbour.
    fn delete_take(&mut self, ctx: &ViewCtx<'_>, folder: &ShotFolder, takes: &[Take], n: u32) {
        ctx.commands.send(Command::TakeAction {
            folder: folder.clone(),
            number: n,
            action: TakeAction::Delete,
        });
        self.undo.push((folder.clone(), n));
        let i = takes.iter().position(|t| t.number == n);
        self.selected = i
            .and_then(|i| i.checked_sub(1).or(Some(i + 1)))
            .and_then(|j| takes.get(j))
            .map(|t| t.number)
            .filter(|p| *p != n);
    }

    /// A take's small thumbnail (or a placeholder) of `height`, clickable.
    fn thumb(
        &mut self,
        ui: &mut egui::Ui,
        _ctx: &ViewCtx<'_>,
        project: &Path,
        take: Option<&Take>,
        height: f32,
        medium: bool,
    ) -> egui::Response {
        let size = Vec2::new(TILE, height);
        let (rect, resp) = ui.allocate_exact_size(size, Sense::click());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, Color32::from_gray(30));
        let rel = take.and_then(|t| {
            if medium {
                t.thumbnails.medium.clone().or(t.thumbnails.small.clone())
            } else {
                t.thumbnails.small.clone().or(t.thumbnails.medium.clone())
            }
        });
        if let Some(rel) = rel {
            match self
                .pictures
                .get(ui.ctx(), PicKey::File(project.join(rel), 320))
            {
                Ok(Some(tex)) => {
                    let fit = fit_rect(rect, tex.size_vec2());
                    painter.image(
                        tex.id(),
                        fit,
                        Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                        Color32::WHITE,
                    );
                }
                Ok(None) => {}
                Err(_) => {
                    painter.text(
                        rect.center(),
                        egui::Align2::CENTER_CENTER,
                        "no picture",
                        egui::FontId::proportional(11.0),
                        theme::MUTED,
                    );
                }
            }
        }
        resp
    }

    fn grid(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        project: &Path,
        takes: &[Take],
        active: Option<&str>,
    ) {
        let tile_w = TILE + 12.0;
        let per_row = ((ui.available_width() / tile_w).floor() as usize).max(1);
        let rows = takes.len().div_ceil(per_row);
        let row_h = TILE + 44.0;
        egui::ScrollArea::vertical()
            .id_salt("take_grid")
            .auto_shrink([false, false])
            .show_rows(ui, row_h, rows, |ui, range| {
                for row in range {
                    ui.horizontal(|ui| {
                        for t in takes.iter().skip(row * per_row).take(per_row) {
                            self.tile(ui, ctx, project, t, active);
                        }
                    });
                }
            });
    }

    fn tile(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        project: &Path,
        t: &Take,
        active: Option<&str>,
    ) {
        let picked = self.selected == Some(t.number);
        let review = Review::of(t);
        ui.vertical(|ui| {
            ui.set_width(TILE + 4.0);
            let resp = self.thumb(ui, ctx, project, Some(t), TILE * 0.75, false);
            if picked {
                ui.painter().rect_stroke(
                    resp.rect.expand(2.0),
                    2.0,
                    egui::Stroke::new(2.0, theme::ACCENT),
                    egui::StrokeKind::Outside,
                );
            }
            if resp.clicked() {
                self.selected = Some(t.number);
            }
            if resp.double_clicked() {
                self.full = Some(t.number);
            }
            ui.horizontal(|ui| {
                let is_active = active == Some(t.id.as_str());
                let star = if take_store::is_starred(t) {
                    "⭐ "
                } else {
                    ""
                };
                let mark = if is_active { "⏺ " } else { "" };
                if ui
                    .selectable_label(picked, format!("{mark}{star}{}", t.id))
                    .on_hover_text(if is_active { "the active take" } else { "" })
                    .clicked()
                {
                    self.selected = Some(t.number);
                }
            });
            ui.label(
                egui::RichText::new(review.label())
                    .color(review_colour(review))
                    .small(),
            );
        });
    }

    fn full_view(&mut self, ui: &mut egui::Ui, _ctx: &ViewCtx<'_>, project: &Path, t: &Take) {
        ui.horizontal(|ui| {
            ui.strong(format!("{} — full size", t.id));
            if ui.button("Close").on_hover_text("Esc").clicked() {
                self.full = None;
            }
            ui.weak("Left/Right step · Esc closes");
        });
        let rect = ui.available_rect_before_wrap();
        ui.allocate_rect(rect, Sense::hover());
        self.picture(ui, project, t, rect, Color32::WHITE);
    }

    /// A take's media (or its large thumbnail) fitted into `rect`.
    fn picture(&mut self, ui: &mut egui::Ui, project: &Path, t: &Take, rect: Rect, tint: Color32) {
        let Some(path) = view_path(project, t) else {
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "no picture",
                egui::FontId::proportional(14.0),
                theme::MUTED,
            );
            return;
        };
        if let Ok(Some(tex)) = self.pictures.get(ui.ctx(), PicKey::File(path, VIEW_MAX)) {
            ui.painter_at(rect).image(
                tex.id(),
                fit_rect(rect, tex.size_vec2()),
                Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                tint,
            );
        }
    }

    fn compare_view(
        &mut self,
        ui: &mut egui::Ui,
        _ctx: &ViewCtx<'_>,
        project: &Path,
        takes: &[Take],
    ) {
        let picked: Vec<&Take> = self
            .compare
            .iter()
            .filter_map(|n| takes.iter().find(|t| t.number == *n))
            .collect();
        if picked.len() < 2 {
            self.compare.clear();
            return;
        }
        ui.horizontal(|ui| {
            for m in CompareMode::ALL {
                ui.selectable_value(&mut self.mode, m, m.label());
            }
            ui.separator();
            ui.label(format!("A: {}  B: {}", picked[0].id, picked[1].id));
            if ui.button("Swap A/B").on_hover_text("1 / 2").clicked() {
                self.compare.swap(0, 1);
            }
        });
        match self.mode {
            CompareMode::Wipe => {
                ui.horizontal(|ui| {
                    ui.add(egui::Slider::new(&mut self.wipe, 0.0..=1.0).text("Divider"));
                    ui.checkbox(&mut self.wipe_vertical, "Vertical (V) / horizontal (H)");
                });
            }
            CompareMode::Onion => {
                ui.add(egui::Slider::new(&mut self.onion, 0.0..=1.0).text("Opacity of B"));
            }
            _ => {}
        }
        let rect = ui.available_rect_before_wrap();
        let resp = ui.allocate_rect(rect, Sense::drag());
        let (a, b) = (picked[0], picked[1]);
        match self.mode {
            CompareMode::SideBySide => {
                let n = picked.len().min(4) as f32;
                let w = rect.width() / n;
                for (i, t) in picked.iter().take(4).enumerate() {
                    let r = Rect::from_min_size(
                        pos2(rect.left() + w * i as f32, rect.top()),
                        Vec2::new(w - 4.0, rect.height() - 18.0),
                    );
                    self.picture(ui, project, t, r, Color32::WHITE);
                    ui.painter().text(
                        pos2(r.center().x, r.bottom() + 2.0),
                        egui::Align2::CENTER_TOP,
                        &t.id,
                        egui::FontId::proportional(12.0),
                        ui.visuals().text_color(),
                    );
                }
            }
            CompareMode::Wipe => {
                if resp.dragged()
                    && let Some(p) = resp.interact_pointer_pos()
                {
                    self.wipe = if self.wipe_vertical {
                        (p.y - rect.top()) / rect.height()
                    } else {
                        (p.x - rect.left()) / rect.width()
                    }
                    .clamp(0.0, 1.0);
                }
                self.picture(ui, project, a, rect, Color32::WHITE);
                let clip = if self.wipe_vertical {
                    Rect::from_min_max(
                        pos2(rect.left(), rect.top() + rect.height() * self.wipe),
                        rect.max,
                    )
                } else {
                    Rect::from_min_max(
                        pos2(rect.left() + rect.width() * self.wipe, rect.top()),
                        rect.max,
                    )
                };
                let mut child = ui.new_child(egui::UiBuilder::new().max_rect(rect));
                child.set_clip_rect(clip);
                self.picture(&mut child, project, b, rect, Color32::WHITE);
                let stroke = egui::Stroke::new(2.0, theme::ACCENT);
                if self.wipe_vertical {
                    ui.painter().hline(rect.x_range(), clip.top(), stroke);
                } else {
                    ui.painter().vline(clip.left(), rect.y_range(), stroke);
                }
            }
            CompareMode::Onion => {
                self.picture(ui, project, a, rect, Color32::WHITE);
                let alpha = (self.onion * 255.0).round() as u8;
                self.picture(
                    ui,
                    project,
                    b,
                    rect,
                    Color32::from_rgba_unmultiplied(255, 255, 255, alpha),
                );
            }
            CompareMode::Difference => {
                if let (Some(pa), Some(pb)) = (view_path(project, a), view_path(project, b))
                    && let Ok(Some(tex)) = self.pictures.get(ui.ctx(), PicKey::Diff(pa, pb))
                {
                    ui.painter_at(rect).image(
                        tex.id(),
                        fit_rect(rect, tex.size_vec2()),
                        Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                        Color32::WHITE,
                    );
                }
            }
        }
    }

    fn metadata_ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        t: &Take,
        c: usize,
        s: usize,
        h: usize,
    ) {
        ui.strong(&t.id);
        let Some(m) = &t.metadata else {
            ui.colored_label(theme::ERROR, t.error.as_deref().unwrap_or("no metadata"));
            return;
        };
        let value = serde_json::to_value(m).unwrap_or_default();
        let prov = value.get("provenance").cloned().unwrap_or_default();
        let review = Review::of(t);
        ui.label(egui::RichText::new(review.label()).color(review_colour(review)));
        egui::Grid::new("take_meta")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                let row = |ui: &mut egui::Ui, k: &str, v: String| {
                    ui.weak(k);
                    ui.label(v);
                    ui.end_row();
                };
                let s = |v: &serde_json::Value| match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => "—".into(),
                    other => other.to_string(),
                };
                row(ui, "Created", s(&value["created"]));
                row(ui, "Function", s(&prov["function"]));
                row(ui, "Preset", s(&prov["preset"]));
                row(ui, "Seed", s(&prov["seed"]));
                row(ui, "Run time (s)", s(&prov["runTimeS"]));
                row(ui, "Queue time (s)", s(&prov["queueTimeS"]));
                row(
                    ui,
                    "GPU",
                    format!("{} {}", s(&prov["gpuIndex"]), s(&prov["gpuName"])),
                );
                row(ui, "Peak VRAM (MiB)", s(&prov["peakVramMb"]));
                row(
                    ui,
                    "Project commit",
                    s(&prov["projectCommit"]).chars().take(10).collect(),
                );
                row(ui, "Slate", s(&prov["slateVersion"]));
                if let Some(p) = prov["parameters"].as_object() {
                    for (k, v) in p {
                        row(ui, k, s(v));
                    }
                }
            });
        ui.horizontal_wrapped(|ui| {
            if ui.button("Copy info").clicked() {
                ui.ctx()
                    .copy_text(serde_json::to_string_pretty(&value).unwrap_or_default());
            }
            let function = prov["functionId"].as_str().map(str::to_string);
            let preset = prov["preset"].as_str().map(str::to_string);
            let params: BTreeMap<String, String> = prov["parameters"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            let text = match v {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (k.clone(), text)
                        })
                        .collect()
                })
                .unwrap_or_default();
            if let Some(function) = function {
                if ui
                    .button("Re-run with these settings")
                    .on_hover_text("Queue the same function, preset and parameters for this shot")
                    .clicked()
                    && let Some(r) = shot_ref_for(ctx, c, s, h)
                {
                    ctx.commands.send(Command::SubmitTask {
                        request: TaskRequest {
                            function: function.clone(),
                            preset: preset.clone(),
                            params: params.clone(),
                            priority: 0,
                            project: ctx
                                .vm
                                .project
                                .as_ref()
                                .map(|p| p.path.display().to_string()),
                            shot: Some(format!("{}.{}.{}", c + 1, s + 1, h + 1)),
                            shot_ref: Some(r),
                            executor: None,
                            host: None,
                        },
                    });
                }
                if ui.button("Edit and re-run").clicked() {
                    self.requests.push(BoardRequest::EditRerun {
                        item: StoryItem::Shot(c, s, h),
                        function,
                        preset,
                        params,
                    });
                }
            }
        });
    }
}

/// The shot's ref for a submission from the window: ids, folder and HEAD.
pub fn shot_ref_for(ctx: &ViewCtx<'_>, c: usize, s: usize, h: usize) -> Option<ShotRef> {
    let p = ctx.vm.project.as_ref()?;
    let (_, mut r) = folder_of(p.manifest.as_ref()?, c, s, h)?;
    r.project_dir = Some(p.path.clone());
    r.submitted_commit = ctx.vm.git_status.as_ref().and_then(|g| g.head.clone());
    Some(r)
}

/// The live task generating a take for this shot: (its id, progress, stage or message).
fn live_task(ctx: &ViewCtx<'_>, folder: &ShotFolder) -> Option<(TaskId, f32, String)> {
    ctx.vm
        .tasks
        .values()
        .filter(|t| !t.state.is_finished())
        .find(|t| {
            t.shot_ref
                .as_ref()
                .is_some_and(|r| ShotFolder::of(r) == *folder)
        })
        .map(|t| {
            (
                t.id,
                t.progress,
                t.stage.clone().or(t.message.clone()).unwrap_or_default(),
            )
        })
}

/// The picture shown for a take: its media when it is a picture, else the large thumbnail.
fn view_path(project: &Path, t: &Take) -> Option<PathBuf> {
    t.media
        .as_ref()
        .map(|m| project.join(m))
        .filter(|p| media::is_image(p))
        .or_else(|| t.thumbnails.large.as_ref().map(|l| project.join(l)))
}

/// `size` scaled to fit `rect`, centred.
fn fit_rect(rect: Rect, size: Vec2) -> Rect {
    let scale = (rect.width() / size.x.max(1.0)).min(rect.height() / size.y.max(1.0));
    Rect::from_center_size(rect.center(), size * scale)
}
