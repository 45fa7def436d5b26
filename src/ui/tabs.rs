//! The main view's tabs. Adding a tab is one line in [`Tab::ALL`].

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tab {
    #[default]
    Canvas,
    Scene,
    Assets,
    Tasks,
    Gpu,
    Git,
    Settings,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Canvas,
        Tab::Scene,
        Tab::Assets,
        Tab::Tasks,
        Tab::Gpu,
        Tab::Git,
        Tab::Settings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Canvas => "Canvas",
            Tab::Scene => "Scene",
            Tab::Assets => "Assets",
            Tab::Tasks => "Tasks",
            Tab::Gpu => "GPU",
            Tab::Git => "Git",
            Tab::Settings => "Settings",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The next tab (or previous, with `step = -1`), wrapping around.
    pub fn cycle(self, step: isize) -> Tab {
        let n = Tab::ALL.len() as isize;
        Tab::ALL[((self.index() as isize + step).rem_euclid(n)) as usize]
    }
}
