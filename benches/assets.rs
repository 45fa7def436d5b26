//! Asset import and thumbnails against their peers in the same run:
//! - importing a 1 GiB file (copy + SHA-256 in one pass, LFS object, asset.json, commit)
//!   vs `cp` alone (goal ≤ 1.15×), vs `openssl dgst -sha256` + `cp` (the hashing
//!   limit), and vs `cp` + `git add` (git-lfs) + `git commit`;
//! - thumbnails of 1,000 images (images/s) vs ImageMagick `mogrify -thumbnail`.
//!
//! `cargo bench --bench assets` runs the full sizes; `cargo test --all-targets` runs it
//! small.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use common::{Figure, full_run};
use slate::workspace::asset_import::{self, Category, ImportOptions, ImportRequest};
use slate::workspace::manifest::NarrativeTemplate;
use slate::workspace::project;

fn run(dir: &Path, home: &Path, program: &str, args: &[&str]) -> bool {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output();
    match out {
        Ok(o) if o.status.success() => true,
        Ok(o) => panic!("{program} {args:?}: {}", String::from_utf8_lossy(&o.stderr)),
        Err(_) => false,
    }
}

/// The median of `n` runs of `f` (seconds).
fn median(n: usize, mut f: impl FnMut() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..n).map(|_| f()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[n / 2]
}

fn import_bench(dir: &Path, home: &Path, figures: &mut Vec<Figure>) {
    let (size, label, runs) = if full_run() {
        (1usize << 30, "1 GiB", 3)
    } else {
        (16 << 20, "16 MiB", 1)
    };
    let src = dir.join("weights.safetensors");
    common::write_random_file(&src, size, 7);
    // Warm the page cache for every contender alike.
    {
        use std::io::Read as _;
        let mut f = std::fs::File::open(&src).unwrap();
        let mut buf = vec![0u8; 1 << 20];
        while f.read(&mut buf).unwrap() > 0 {}
    }
    let ws = dir.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let mut i = 0;
    let slate_s = median(runs, || {
        i += 1;
        let p = project::create(&ws, &format!("P{i}"), NarrativeTemplate::ThreeAct).unwrap();
        let t = Instant::now();
        let r = asset_import::import(
            &p,
            &ImportRequest {
                files: vec![src.clone()],
                category: Some(Category::Model),
                name: None,
            },
            &ImportOptions::default(),
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap();
        let s = t.elapsed().as_secs_f64();
        assert!(r.commit.is_some());
        std::fs::remove_dir_all(&p).ok();
        s
    });
    let cp_s = median(runs, || {
        let dest = dir.join("copy");
        let t = Instant::now();
        run(
            dir,
            home,
            "cp",
            &[src.to_str().unwrap(), dest.to_str().unwrap()],
        );
        let s = t.elapsed().as_secs_f64();
        std::fs::remove_file(dest).ok();
        s
    });
    let limit_s = median(runs, || {
        let dest = dir.join("copy");
        let t = Instant::now();
        run(
            dir,
            home,
            "openssl",
            &["dgst", "-sha256", src.to_str().unwrap()],
        );
        run(
            dir,
            home,
            "cp",
            &[src.to_str().unwrap(), dest.to_str().unwrap()],
        );
        let s = t.elapsed().as_secs_f64();
        std::fs::remove_file(dest).ok();
        s
    });
    let mut j = 0;
    let git_s = median(runs, || {
        j += 1;
        let g = dir.join(format!("git{j}"));
        std::fs::create_dir(&g).unwrap();
        run(&g, home, "git", &["init", "-q", "-b", "main"]);
        run(&g, home, "git", &["lfs", "track", "*.safetensors"]);
        run(&g, home, "git", &["add", ".gitattributes"]);
        run(&g, home, "git", &["commit", "-qm", "init"]);
        let t = Instant::now();
        run(
            &g,
            home,
            "cp",
            &[src.to_str().unwrap(), "weights.safetensors"],
        );
        run(&g, home, "git", &["add", "weights.safetensors"]);
        run(&g, home, "git", &["commit", "-qm", "asset: Add 1 model"]);
        let s = t.elapsed().as_secs_f64();
        std::fs::remove_dir_all(&g).ok();
        s
    });
    std::fs::remove_file(&src).ok();
    figures.push(Figure::versus(
        &format!("import {label} file (s)"),
        slate_s,
        "s",
        "cp",
        cp_s,
    ));
    figures.push(Figure::versus(
        &format!("import {label} file vs hashing limit (s)"),
        slate_s,
        "s",
        "openssl dgst -sha256 + cp",
        limit_s,
    ));
    figures.push(Figure::versus(
        &format!("import {label} file vs git-lfs (s)"),
        slate_s,
        "s",
        "cp + git add (git-lfs) + git commit",
        git_s,
    ));
}

fn thumbnail_bench(dir: &Path, home: &Path, figures: &mut Vec<Figure>) {
    let n = if full_run() { 1000 } else { 40 };
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    for i in 0..n {
        let img = image::RgbImage::from_fn(640, 480, |x, y| {
            image::Rgb([(x + i) as u8, (y * 2) as u8, ((x ^ y) + i) as u8])
        });
        img.save(images.join(format!("img{i:04}.png"))).unwrap();
    }
    let paths: Vec<_> = (0..n)
        .map(|i| images.join(format!("img{i:04}.png")))
        .collect();
    // Slate: one thread, as the Assets tab's loader decodes them.
    let t = Instant::now();
    for p in &paths {
        let (w, h, px) = asset_import::thumbnail(p, 256).unwrap();
        assert!(w <= 256 && h <= 256 && !px.is_empty());
    }
    let slate_ips = n as f64 / t.elapsed().as_secs_f64();
    // ImageMagick: mogrify -thumbnail into another folder (it keeps the originals).
    let out = dir.join("mogrified");
    std::fs::create_dir_all(&out).unwrap();
    let t = Instant::now();
    let mut args = vec![
        "-path".to_string(),
        out.display().to_string(),
        "-thumbnail".into(),
        "256x256".into(),
    ];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let have = run(dir, home, "mogrify", &args);
    let magick_ips = n as f64 / t.elapsed().as_secs_f64();
    let name = format!("thumbnails of {n} 640x480 PNGs (images/s)");
    if have {
        figures.push(Figure::versus(
            &name,
            slate_ips,
            "img/s",
            "ImageMagick mogrify -thumbnail 256x256",
            magick_ips,
        ));
    } else {
        eprintln!("mogrify is not installed (apt install imagemagick): no peer figure");
        figures.push(Figure::alone(&name, slate_ips, "img/s"));
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(
        home.join(".gitconfig"),
        "[user]\n\tname = b\n\temail = b@l\n",
    )
    .unwrap();
    run(dir.path(), &home, "git", &["lfs", "install", "--skip-repo"]);
    // The library's own commits read the identity from HOME too.
    // SAFETY: set before any thread starts.
    unsafe { std::env::set_var("HOME", &home) };
    let mut figures = Vec::new();
    import_bench(dir.path(), &home, &mut figures);
    thumbnail_bench(dir.path(), &home, &mut figures);
    common::write("assets", &figures);
}
