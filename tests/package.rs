//! A fresh machine: the one list of run-time libraries, the window's message when one is
//! missing, the man page, the platform module's boundary, and the `.deb` installed on a
//! bare Debian 12 container.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn runtime_libraries_are_one_list_for_test_command_package_and_readme() {
    let libs = slate::platform::window_libraries();
    assert!(
        libs.len() >= 6,
        "packaging/runtime-libraries.txt lists {libs:?}"
    );
    let cargo: toml::Table = toml::from_str(&read("Cargo.toml")).unwrap();
    let depends = cargo["package"]["metadata"]["deb"]["depends"]
        .as_str()
        .expect("Cargo.toml has [package.metadata.deb] depends")
        .split(',')
        .map(|d| d.trim().to_owned())
        .collect::<Vec<_>>();
    let readme = read("README.md");
    let test_cmd = read("scripts/test");
    assert!(
        test_cmd.contains("packaging/runtime-libraries.txt"),
        "scripts/test must install the packages of packaging/runtime-libraries.txt"
    );
    for lib in &libs {
        assert!(
            depends.iter().any(|d| d == lib.package),
            "the .deb does not depend on {} ({}): Cargo.toml depends = {depends:?}",
            lib.package,
            lib.soname
        );
        assert!(
            readme.contains(lib.package),
            "README's troubleshooting does not name {} ({})",
            lib.package,
            lib.soname
        );
    }
    // No stale package in the .deb that the list no longer has.
    for d in depends.iter().filter(|d| !d.starts_with('$')) {
        assert!(
            libs.iter().any(|l| l.package == d),
            "Cargo.toml depends on {d}, which packaging/runtime-libraries.txt does not list"
        );
    }
}

#[test]
fn man_page_is_generated_from_the_cli() {
    use clap::CommandFactory as _;
    let mut page = Vec::new();
    clap_mangen::Man::new(slate::cli::Cli::command())
        .render(&mut page)
        .unwrap();
    let path = root().join("packaging/slate.1");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &page).unwrap();
    }
    let on_disk = std::fs::read(&path).unwrap_or_default();
    assert!(
        on_disk == page,
        "packaging/slate.1 is not the man page of today's CLI: run \
         `UPDATE_SNAPSHOTS=1 cargo test --test package man_page` and commit it"
    );
}

/// A folder holding a broken stand-in for `soname` (not an ELF file).
fn broken_library_dir(dir: &Path, soname: &str) -> PathBuf {
    let libs = dir.join("libs");
    std::fs::create_dir_all(&libs).unwrap();
    std::fs::write(libs.join(soname), b"this is not a shared library\n").unwrap();
    libs
}

fn window_attempt(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slate"));
    cmd.env("SLATE_DATA_DIR", dir.join("data"))
        .env("SLATE_WORKSPACE", dir.join("ws"))
        .env("HOME", dir)
        .env_remove("WAYLAND_DISPLAY");
    cmd
}

#[test]
fn window_names_a_missing_library_and_its_package() {
    let dir = tempfile::tempdir().unwrap();
    for lib in slate::platform::window_libraries() {
        let libs = broken_library_dir(&dir.path().join(lib.package), lib.soname);
        // A display that does not exist: the check must come before any connection.
        let out = window_attempt(dir.path())
            .env("DISPLAY", ":9999")
            .env("LD_LIBRARY_PATH", &libs)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "the window opened without {}",
            lib.soname
        );
        assert!(
            err.contains(lib.soname) && err.contains(&format!("apt-get install {}", lib.package)),
            "the error does not name {} and how to install {}: {err}",
            lib.soname,
            lib.package
        );
        assert!(err.contains("without a display"), "{err}");
    }
}

#[test]
fn window_without_a_display_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = window_attempt(dir.path())
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("no X11 display"), "{err}");
    assert!(err.contains("without a display"), "{err}");
}

#[test]
fn every_window_library_loads_on_this_machine() {
    // The test command installed them; a missing one here means scripts/test is wrong.
    assert_eq!(slate::platform::missing_window_library(), None);
}

/// Runs `cmd`, panicking with `what` and its output when it fails.
fn run_ok(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

/// The test binary packaged as the release one: `cargo deb --no-build` reads
/// `<target>/release/slate`, and a second (release) build would double the test command.
fn build_deb(dir: &Path) -> PathBuf {
    let target = dir.join("target");
    std::fs::create_dir_all(target.join("release")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_slate"), target.join("release/slate")).unwrap();
    let out = dir.join("deb");
    run_ok(
        Command::new("cargo")
            // gzip through the system tool: cargo-deb's own compressor took minutes on the
            // unstripped 130 MB test binary.
            .args([
                "deb",
                "--no-build",
                "--fast",
                "-Z",
                "gz",
                "--compress-system",
                "-o",
            ])
            .arg(&out)
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(root()),
        "cargo deb (install it with `cargo install cargo-deb`; scripts/test does)",
    );
    let debs: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(debs.len(), 1, "cargo deb made {debs:?}");
    let name = debs[0].file_name().unwrap().to_string_lossy().into_owned();
    let want = format!("slate_{}_amd64.deb", env!("CARGO_PKG_VERSION"));
    assert_eq!(name, want, "the package's file name");
    out
}

#[test]
fn deb_installs_and_runs_on_bare_debian_12() {
    run_ok(
        Command::new("docker").args(["version", "--format", "{{.Server.Version}}"]),
        "this test needs the Docker engine: `docker version`",
    );
    let dir = tempfile::tempdir().unwrap();
    let debs = build_deb(dir.path());
    // Bare Debian 12 plus only what the test itself needs: an X server. Cached by tag.
    let image = run_ok(
        Command::new(root().join("scripts/debian-image")).args([
            "slate-test/bookworm",
            "xvfb",
            "xauth",
            "ca-certificates",
        ]),
        "scripts/debian-image (debootstrap a Debian 12 root filesystem)",
    );
    // The tag is the script's last line on stdout; its progress goes to stderr, which
    // `run_ok` appends after stdout, so the tag is found by its name, not its place.
    let image = image
        .lines()
        .rev()
        .find(|l| l.starts_with("slate-test/bookworm:"))
        .unwrap_or_else(|| panic!("scripts/debian-image printed no image tag: {image}"))
        .trim()
        .to_owned();
    // Downloaded packages survive between runs on this machine.
    let apt_cache = root().join("target/apt-cache");
    std::fs::create_dir_all(&apt_cache).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let script = r#"
set -eu
apt-get update -qq >/tmp/apt.log 2>&1 || { tail -5 /tmp/apt.log; exit 10; }
# No recommends: the Depends alone must make the window work (plus a Vulkan driver,
# which a GPU machine has from its vendor and this one gets from Mesa).
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  /deb/slate_*.deb mesa-vulkan-drivers >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 11; }
command -v slate
slate --version
slate functions list
test -f /usr/share/applications/slate.desktop
test -f /usr/share/icons/hicolor/scalable/apps/slate.svg
test -f /usr/share/man/man1/slate.1.gz
test -f /usr/share/slate/functions/demo/countdown.toml
export XDG_RUNTIME_DIR=/tmp/xdg HOME=/tmp/home
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME"
Xvfb :5 -screen 0 1600x1000x24 -nolisten tcp >/tmp/xvfb.log 2>&1 &
for i in $(seq 50); do [ -e /tmp/.X11-unix/X5 ] && break; sleep 0.1; done
DISPLAY=:5 timeout 120 slate --screenshot /out/shot.png
"#;
    let text = run_ok(
        Command::new("docker")
            .args(["run", "--rm", "-v"])
            .arg(format!("{}:/deb:ro", debs.display()))
            .arg("-v")
            .arg(format!("{}:/var/cache/apt/archives", apt_cache.display()))
            .arg("-v")
            .arg(format!("{}:/out", out.display()))
            .args([&image, "sh", "-c", script]),
        "installing the .deb on bare Debian 12 and running slate there",
    );
    assert!(text.contains("/usr/bin/slate"), "{text}");
    assert!(
        text.contains(&format!("slate {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("demo/countdown"), "{text}");
    // Kept for a look: target/package-test/shot.png.
    let keep = root().join("target/package-test");
    std::fs::create_dir_all(&keep).ok();
    std::fs::copy(out.join("shot.png"), keep.join("shot.png")).ok();
    let shot = image::open(out.join("shot.png"))
        .unwrap_or_else(|e| panic!("the screenshot from the container: {e}\n{text}"))
        .to_rgb8();
    assert!(
        shot.width() >= 800 && shot.height() >= 500,
        "{:?}",
        shot.dimensions()
    );
    let colours: std::collections::HashSet<_> = shot.pixels().step_by(7).collect();
    assert!(
        colours.len() > 20,
        "the window in the container rendered a blank picture ({} colours)",
        colours.len()
    );
}

/// Every operating-system call lives in `src/platform/`: a macOS or Windows port then
/// has one module to write (see docs/platforms.md). Comments may name `/proc` paths.
#[test]
fn os_specific_calls_stay_in_the_platform_module() {
    let patterns = [
        "libc::",
        "std::os::unix",
        "::unix::",
        "nix::",
        "/proc/",
        "\"/proc\"",
    ];
    let mut found = Vec::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                if path != root().join("src/platform") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                if let Some(p) = patterns.iter().find(|p| code.contains(*p)) {
                    let rel = path.strip_prefix(root()).unwrap().display().to_string();
                    found.push(format!("{rel}:{}: {p} in `{}`", n + 1, code.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "OS-specific calls outside src/platform/ (move them there, with a fallback in \
         src/platform/other.rs):\n{}",
        found.join("\n")
    );
}
