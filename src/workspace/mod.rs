//! Projects on disk: layout, manifest, git and LFS.
