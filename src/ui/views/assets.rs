//! The Assets tab: a thumbnail grid of the project's asset folders by category (or of the
//! workspace Library), with search, category filter and sort; the selected asset's
//! metadata and the shots that use it; rename, delete to the trash, show in the file
//! manager, copy from the library; and the import dialog (Ctrl+I, the palette, the
//! button, or files dropped on the window).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::events::Command;
use crate::model::asset::Asset;
use crate::model::asset::{Category, ImportRequest, file_role};
use crate::ui::commands::UiCommand;
use crate::ui::theme;
use crate::ui::views::ViewCtx;
use crate::ui::widgets::{UiExt as _, entered};

/// Thumbnail edge in the grid (points) and in the decoded image (pixels).
const TILE: f32 = 112.0;
const THUMB_PX: u32 = 224;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    #[default]
    Name,
    Size,
    Date,
}

impl SortBy {
    const ALL: [SortBy; 3] = [SortBy::Name, SortBy::Size, SortBy::Date];
    fn label(self) -> &'static str {
        match self {
            SortBy::Name => "Name",
            SortBy::Size => "Size",
            SortBy::Date => "Date",
        }
    }
}

type Decoded = (PathBuf, Result<egui::ColorImage, String>);

/// Decodes thumbnails on a helper thread; the UI only uploads finished images.
struct ThumbLoader {
    requests: crossbeam_channel::Sender<PathBuf>,
    results: crossbeam_channel::Receiver<Decoded>,
}

impl ThumbLoader {
    fn start(ctx: &egui::Context) -> Self {
        let (requests, rx) = crossbeam_channel::unbounded::<PathBuf>();
        let (tx, results) = crossbeam_channel::unbounded();
        let waker = ctx.clone();
        std::thread::Builder::new()
            .name("asset-thumbnails".into())
            .spawn(move || {
                for path in rx {
                    let img = crate::client::media::thumbnail(&path, THUMB_PX).map(|(w, h, px)| {
                        egui::ColorImage::from_rgba_unmultiplied([w as usize, h as usize], &px)
                    });
                    if tx.send((path, img)).is_err() {
                        return;
                    }
                    waker.request_repaint();
                }
            })
            .expect("thumbnail thread");
        Self { requests, results }
    }
}

enum Thumb {
    Loading,
    Ready(egui::TextureHandle),
    Failed,
}

/// The Assets tab's own state.
#[derive(Default)]
pub struct AssetsView {
    search: String,
    category: Option<Category>,
    sort: SortBy,
    library: bool,
    selected: Option<String>,
    rename_to: String,
    confirm_delete: bool,
    /// A palette command for the selected asset, done when its details are drawn.
    pub ask: Option<UiCommand>,
    /// The project whose assets the selection is of.
    for_project: Option<PathBuf>,
    thumbs: HashMap<PathBuf, Thumb>,
    loader: Option<ThumbLoader>,
    pub import: ImportDialog,
}

/// Size and import date of an asset, from its `asset.json` (Slate's metadata).
fn size_of(a: &Asset) -> u64 {
    a.meta
        .as_ref()
        .and_then(|m| m.metadata.get("size"))
        .and_then(|v| v.as_u64())
        .unwrap_or(0)
}

fn date_of(a: &Asset) -> String {
    a.meta
        .as_ref()
        .and_then(|m| m.created_at.clone())
        .unwrap_or_default()
}

/// Names of the linked assets for a shot card ("Hero, Alley").
pub fn linked_names(folders: &[Asset], ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            folders
                .iter()
                .find(|a| a.id.as_deref() == Some(id.as_str()))
                .map_or_else(|| format!("{id} (missing)"), |a| a.name.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub use crate::model::asset::shots_using;

/// Which assets the grid shows, in order: search, category filter, sort.
pub fn visible<'a>(
    list: &'a [Asset],
    search: &str,
    category: Option<Category>,
    sort: SortBy,
) -> Vec<&'a Asset> {
    let q = search.trim().to_lowercase();
    let mut out: Vec<&Asset> = list
        .iter()
        .filter(|a| category.is_none_or(|c| a.category == c.folder()))
        .filter(|a| {
            q.is_empty()
                || a.name.to_lowercase().contains(&q)
                || a.path.to_lowercase().contains(&q)
                || a.meta
                    .as_ref()
                    .is_some_and(|m| m.tags.iter().any(|t| t.to_lowercase().contains(&q)))
        })
        .collect();
    out.sort_by(|a, b| {
        let by = match sort {
            SortBy::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortBy::Size => size_of(b).cmp(&size_of(a)),
            SortBy::Date => date_of(b).cmp(&date_of(a)),
        };
        a.category.cmp(&b.category).then(by)
    });
    out
}

impl AssetsView {
    /// The category the grid is filtered to, if any (dropped files go there).
    pub fn category(&self) -> Option<Category> {
        self.category
    }

    /// Whether an asset of the open project (or the library beside it) is selected, and
    /// whether it is one of the shared library's.
    pub fn selection(&self, vm: &crate::ui::view_model::ViewModel) -> Option<bool> {
        let p = vm.project.as_ref()?;
        let sel = self.selected.as_ref()?;
        let list = if self.library {
            &vm.library
        } else {
            &p.asset_folders
        };
        (self.for_project.as_ref() == Some(&p.path) && list.iter().any(|a| &a.path == sel))
            .then_some(self.library)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        self.body_ui(ui, ctx);
        // A palette request the selected asset's details did not take (none shown) is
        // dropped, never done later to whatever is selected next.
        self.ask = None;
    }

    fn body_ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        let Some(p) = &ctx.vm.project else {
            self.selected = None;
            ui.empty_state("Assets", &crate::ui::views::no_project_hint(ctx.vm));
            return;
        };
        if self.for_project.as_ref() != Some(&p.path) {
            self.for_project = Some(p.path.clone());
            self.selected = None;
            self.confirm_delete = false;
        }
        let root = if self.library {
            ctx.vm
                .settings
                .as_ref()
                .map(|s| s.workspace.root.clone())
                .unwrap_or_default()
        } else {
            p.path.clone()
        };
        let list: &[Asset] = if self.library {
            &ctx.vm.library
        } else {
            &p.asset_folders
        };
        self.toolbar_ui(ui, ctx);
        ui.separator();
        if list.is_empty() {
            if self.library {
                ui.empty_state(
                    "The library is empty",
                    "Assets shared between projects live in the workspace's Library/ folder",
                );
            } else {
                ui.empty_state(
                    "No assets yet",
                    "Import characters, styles, locations, music, scripts and models with Import… (Ctrl+I), or drop files on the window",
                );
            }
            return;
        }
        let shown = visible(list, &self.search, self.category, self.sort);
        self.receive_thumbs(ui.ctx());
        egui::Panel::right("asset_details")
            .resizable(true)
            .default_size(280.0)
            .min_size(200.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("asset_details")
                    .auto_shrink([false, false])
                    .show(ui, |ui| self.details_ui(ui, ctx, &root, list));
            });
        egui::ScrollArea::vertical()
            .id_salt("asset_grid")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.vertical(|ui| self.grid_ui(ui, &root, &shown));
            });
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, ctx: &mut ViewCtx<'_>) {
        ui.horizontal_wrapped(|ui| {
            if ui
                .selectable_label(!self.library, "Project")
                .on_hover_text("This project's assets (01_Assets/)")
                .clicked()
            {
                self.library = false;
                self.selected = None;
            }
            if ui
                .selectable_label(self.library, "Library")
                .on_hover_text("Assets shared between projects (the workspace's Library/)")
                .clicked()
            {
                self.library = true;
                self.selected = None;
            }
            ui.separator();
            ui.labelled_text("Search", &mut self.search);
            egui::ComboBox::from_label("Category")
                .selected_text(self.category.map_or("All", |c| c.folder()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.category, None, "All");
                    for c in Category::ALL {
                        ui.selectable_value(&mut self.category, Some(c), c.folder());
                    }
                });
            egui::ComboBox::from_label("Sort by")
                .selected_text(self.sort.label())
                .show_ui(ui, |ui| {
                    for s in SortBy::ALL {
                        ui.selectable_value(&mut self.sort, s, s.label());
                    }
                });
            if ui
                .button("Import…")
                .on_hover_text("Copy files into the project as assets (Ctrl+I)")
                .clicked()
            {
                self.import.open(Vec::new(), self.category);
            }
            if ui
                .button("Refresh")
                .on_hover_text("Read the asset folders again")
                .clicked()
            {
                ctx.commands.send(Command::RefreshAssets);
            }
        });
    }

    fn receive_thumbs(&mut self, ctx: &egui::Context) {
        let Some(loader) = &self.loader else { return };
        for (path, img) in loader.results.try_iter() {
            let t = match img {
                Ok(img) => Thumb::Ready(ctx.load_texture(
                    format!("asset-thumb:{}", path.display()),
                    img,
                    egui::TextureOptions::LINEAR,
                )),
                Err(_) => Thumb::Failed,
            };
            self.thumbs.insert(path, t);
        }
    }

    fn grid_ui(&mut self, ui: &mut egui::Ui, root: &Path, shown: &[&Asset]) {
        let per_row = ((ui.available_width() / (TILE + theme::SPACE_M)).floor() as usize).max(1);
        let mut category = "";
        let mut i = 0;
        let rows: Vec<Vec<&Asset>> = {
            let mut rows = Vec::new();
            let mut row: Vec<&Asset> = Vec::new();
            for a in shown {
                if a.category != category || row.len() == per_row {
                    if !row.is_empty() {
                        rows.push(std::mem::take(&mut row));
                    }
                    category = &a.category;
                }
                row.push(a);
            }
            if !row.is_empty() {
                rows.push(row);
            }
            rows
        };
        let mut last_category = String::new();
        for row in rows {
            if row[0].category != last_category {
                last_category = row[0].category.clone();
                let n = shown.iter().filter(|a| a.category == last_category).count();
                ui.section_heading(&format!("{last_category} ({n})"));
            }
            ui.horizontal_top(|ui| {
                for a in row {
                    self.tile_ui(ui, root, a);
                    i += 1;
                }
            });
        }
    }

    fn tile_ui(&mut self, ui: &mut egui::Ui, root: &Path, a: &Asset) {
        let selected = self.selected.as_deref() == Some(a.path.as_str());
        // The asset's `preview`, else its first image file (the loader reads it).
        let preview = a
            .meta
            .as_ref()
            .and_then(|m| {
                m.preview.clone().or_else(|| {
                    m.files.as_object().and_then(|o| {
                        o.values()
                            .filter_map(|v| v.as_str())
                            .find(|f| {
                                matches!(file_role(Path::new(f)), "image" | "audio" | "video")
                            })
                            .map(String::from)
                    })
                })
            })
            .map(|p| root.join(&a.path).join(p))
            .filter(|p| !p.components().any(|c| c.as_os_str() == ".."));
        let response = ui
            .vertical(|ui| {
                ui.set_width(TILE);
                let (rect, resp) =
                    ui.allocate_exact_size(egui::vec2(TILE, TILE), egui::Sense::click());
                let visuals = ui.visuals();
                let bg = if selected {
                    visuals.selection.bg_fill
                } else {
                    visuals.extreme_bg_color
                };
                ui.painter().rect_filled(rect, 4.0, bg);
                let texture = preview.as_ref().and_then(|p| self.thumb(ui.ctx(), p));
                match texture {
                    Some(t) => {
                        let size = t.size_vec2();
                        let scale = ((TILE - 8.0) / size.x.max(size.y)).min(1.0);
                        let r = egui::Rect::from_center_size(rect.center(), size * scale);
                        ui.painter().image(
                            t.id(),
                            r,
                            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                            egui::Color32::WHITE,
                        );
                    }
                    None => {
                        ui.painter().text(
                            rect.center(),
                            egui::Align2::CENTER_CENTER,
                            icon_for(a),
                            egui::FontId::proportional(36.0),
                            theme::MUTED,
                        );
                    }
                }
                let label = ui.add(
                    egui::Label::new(egui::RichText::new(&a.name).small())
                        .truncate()
                        .sense(egui::Sense::click()),
                );
                resp.union(label)
            })
            .inner;
        let response = response.on_hover_text(&a.path);
        response.widget_info(|| {
            egui::WidgetInfo::selected(egui::Role::Button, true, selected, &a.name)
        });
        if response.clicked() {
            self.selected = Some(a.path.clone());
            self.rename_to = a.name.clone();
            self.confirm_delete = false;
        }
    }

    fn thumb(&mut self, ctx: &egui::Context, path: &Path) -> Option<egui::TextureHandle> {
        match self.thumbs.get(path) {
            Some(Thumb::Ready(t)) => Some(t.clone()),
            Some(_) => None,
            None => {
                let loader = self.loader.get_or_insert_with(|| ThumbLoader::start(ctx));
                loader.requests.send(path.to_path_buf()).ok();
                self.thumbs.insert(path.to_path_buf(), Thumb::Loading);
                None
            }
        }
    }

    fn details_ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut ViewCtx<'_>,
        root: &Path,
        list: &[Asset],
    ) {
        let Some(a) = self
            .selected
            .as_ref()
            .and_then(|s| list.iter().find(|a| &a.path == s))
        else {
            ui.weak("Select an asset to see its details");
            return;
        };
        ui.heading(&a.name);
        ui.label(egui::RichText::new(&a.category).color(theme::MUTED));
        egui::Grid::new("asset_meta").num_columns(2).show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(egui::RichText::new(k).color(theme::MUTED));
                ui.add(egui::Label::new(&v).truncate()).on_hover_text(&v);
                ui.end_row();
            };
            row("Folder", a.path.clone());
            if let Some(id) = &a.id {
                row("Id", id.clone());
            }
            row("Files", a.files.to_string());
            if let Some(c) = &a.character {
                row(
                    "Character",
                    format!(
                        "{} base, {} LoRA, {} variations",
                        c.base, c.lora, c.variations
                    ),
                );
            }
            if let Some(m) = &a.meta {
                if let Some(d) = &m.created_at {
                    row("Created", d.clone());
                }
                if !m.tags.is_empty() {
                    row("Tags", m.tags.join(", "));
                }
                for (k, v) in m.metadata.as_object().into_iter().flatten() {
                    let text = match (k.as_str(), v) {
                        ("size", serde_json::Value::Number(n)) => {
                            crate::util::format_bytes(n.as_u64().unwrap_or(0))
                        }
                        ("sha256", serde_json::Value::String(s)) => s.chars().take(16).collect(),
                        ("media", serde_json::Value::Object(o)) => o
                            .iter()
                            .map(|(k, v)| format!("{k} {v}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        (_, serde_json::Value::String(s)) => s.clone(),
                        (_, v) => v.to_string(),
                    };
                    row(k, text);
                }
            }
            if let Some(e) = &a.error {
                row("Error", e.clone());
            }
        });
        if !self.library {
            ui.section_heading("Used by");
            let shots = match (
                a.id.as_deref(),
                ctx.vm.project.as_ref().and_then(|p| p.manifest.as_ref()),
            ) {
                (Some(id), Some(m)) => shots_using(m, id),
                _ => vec![],
            };
            if shots.is_empty() {
                ui.weak("No shot uses it yet (link it in a shot's properties)");
            }
            for s in shots {
                ui.label(s);
            }
        }
        ui.section_heading("Actions");
        let ask = self.ask.take();
        let dir = root.join(&a.path);
        if ui
            .button("Show in file manager")
            .on_hover_text(dir.display().to_string())
            .clicked()
            || ask == Some(UiCommand::ShowAssetInFileManager)
        {
            let dir = dir.clone();
            // Spawned off the UI thread: opening a file manager can take a moment.
            std::thread::spawn(move || {
                std::process::Command::new("xdg-open")
                    .arg(dir)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .ok();
            });
        }
        if self.library {
            if ui
                .button("Copy to project")
                .on_hover_text("Copy this library asset into the open project")
                .clicked()
                || ask == Some(UiCommand::CopyAssetToProject)
            {
                ctx.commands.send(Command::CopyFromLibrary {
                    path: a.path.clone(),
                });
            }
            return;
        }
        let field = ui.labelled_text("New name", &mut self.rename_to);
        if ask == Some(UiCommand::RenameAsset) {
            field.request_focus();
            field.scroll_to_me(Some(egui::Align::Center));
        }
        let can_rename = !self.rename_to.trim().is_empty() && self.rename_to.trim() != a.name;
        let clicked = ui
            .add_enabled(can_rename, egui::Button::new("Rename"))
            .clicked();
        if clicked || (can_rename && entered(ui, &field)) {
            ctx.commands.send(Command::RenameAsset {
                path: a.path.clone(),
                new_name: self.rename_to.trim().to_string(),
            });
            self.selected = None;
        }
        if !self.confirm_delete {
            if ui
                .button("Delete…")
                .on_hover_text("Move the asset folder to the trash")
                .clicked()
                || ask == Some(UiCommand::DeleteAsset)
            {
                self.confirm_delete = true;
            }
        } else {
            ui.label(format!(
                "Move {} to the trash and commit its removal?",
                a.name
            ));
            ui.horizontal(|ui| {
                if ui.button("Move to trash").clicked() {
                    ctx.commands.send(Command::DeleteAsset {
                        path: a.path.clone(),
                    });
                    self.selected = None;
                    self.confirm_delete = false;
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_delete = false;
                }
            });
        }
    }
}

fn icon_for(a: &Asset) -> &'static str {
    let file = a
        .meta
        .as_ref()
        .and_then(|m| m.files.as_object())
        .and_then(|o| o.values().find_map(|v| v.as_str().map(String::from)))
        .unwrap_or_default();
    match file_role(Path::new(&file)) {
        "image" => "🖼",
        "audio" | "midi" => "🎵",
        "video" => "🎞",
        "model" => "🧠",
        "script" | "reference" => "📄",
        _ => match a.category.as_str() {
            "Characters" => "👤",
            "Locations" => "🏙",
            "Music" => "🎵",
            _ => "📦",
        },
    }
}

/// The import dialog: paths (typed, pasted or dropped), a category (from the file type,
/// or chosen), an optional name.
#[derive(Default)]
pub struct ImportDialog {
    pub open: bool,
    paths: String,
    category: Option<Category>,
    name: String,
}

impl ImportDialog {
    pub fn open(&mut self, files: Vec<PathBuf>, category: Option<Category>) {
        self.open = true;
        self.category = category;
        self.name.clear();
        self.paths = files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join("\n");
    }

    fn files(&self) -> Vec<PathBuf> {
        self.paths
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .collect()
    }

    /// Files whose type does not decide their category (only checked by extension:
    /// no disk access on the UI thread).
    fn undecided(&self) -> Vec<(String, Vec<Category>)> {
        self.files()
            .iter()
            .filter(|p| p.extension().is_some())
            .filter_map(|p| {
                Category::for_file(p).err().map(|c| {
                    (
                        p.file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned(),
                        c,
                    )
                })
            })
            .collect()
    }

    pub fn ui(&mut self, egui_ctx: &egui::Context, ctx: &mut ViewCtx<'_>) {
        if !self.open {
            return;
        }
        let modal = egui::Modal::new(egui::Id::unique("import_assets")).show(egui_ctx, |ui| {
            ui.set_width(520.0);
            ui.heading("Import assets");
            ui.label("Files or folders, one per line (drop files on the window to add them):");
            let l = ui.label("Files");
            ui.add(
                egui::TextEdit::multiline(&mut self.paths)
                    .desired_rows(4)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id);
            egui::ComboBox::from_label("Import as")
                .selected_text(self.category.map_or("From the file type", |c| c.folder()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.category, None, "From the file type");
                    for c in Category::ALL {
                        ui.selectable_value(&mut self.category, Some(c), c.folder());
                    }
                });
            let name_field = ui.labelled_text("Name (optional)", &mut self.name);
            let undecided = if self.category.is_none() {
                self.undecided()
            } else {
                vec![]
            };
            for (f, choices) in undecided.iter().take(5) {
                let words: Vec<&str> = choices.iter().map(|c| c.flag()).collect();
                ui.field_error(Some(&format!(
                    "{f} could be a {}: choose what to import it as",
                    words.join(", ")
                )));
            }
            let ready = !self.files().is_empty() && undecided.is_empty() && !ctx.vm.importing;
            ui.horizontal(|ui| {
                let import = ui.add_enabled(ready, egui::Button::new("Import")).clicked()
                    || (ready && entered(ui, &name_field));
                let cancel = ui.button("Cancel").clicked();
                (import, cancel)
            })
            .inner
        });
        let (import, cancel) = modal.inner;
        if import {
            ctx.commands.send(Command::ImportAssets {
                request: ImportRequest {
                    files: self.files(),
                    category: self.category,
                    name: (!self.name.trim().is_empty()).then(|| self.name.trim().to_string()),
                },
            });
            self.open = false;
        } else if cancel || modal.should_close() {
            self.open = false;
        }
    }
}
