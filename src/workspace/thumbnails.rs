//! Thumbnails at the web studio's three sizes (services/thumbnails.py): `large` 512×512,
//! `medium` 320×180 and `small` 128×128, each the picture scaled to fit (aspect kept) and
//! centred on black, saved as `<base>_thumb_<size>.png`. Shared by takes and assets.
//!
//! Everything here is blocking file and pixel work: call it from a worker thread, never
//! from the UI thread.

use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageBuffer, Rgb, RgbImage, imageops};

/// The web studio's sizes, in its order.
pub const SIZES: [(&str, u32, u32); 3] = [
    ("large", 512, 512),
    ("medium", 320, 180),
    ("small", 128, 128),
];

/// Images larger than this (in pixels) are refused instead of decoded (a 16K×16K RGBA
/// picture is 1 GiB of memory).
pub const MAX_PIXELS: u64 = 16384 * 16384;

/// Picture extensions thumbnails are made from.
pub fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png"))
}

/// Video extensions (thumbnails need ffmpeg).
pub fn is_video(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "mp4" | "mov" | "avi" | "mkv" | "webm"
        )
    })
}

/// Decodes a picture, refusing absurd sizes before allocating for them.
pub fn decode(path: &Path) -> Result<DynamicImage, String> {
    let reader = image::ImageReader::open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .with_guessed_format()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| format!("{}: not a picture Slate can read: {e}", path.display()))?;
    if w as u64 * h as u64 > MAX_PIXELS {
        return Err(format!(
            "{}: {w}×{h} is too large to make thumbnails from",
            path.display()
        ));
    }
    let mut reader = image::ImageReader::open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .with_guessed_format()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    reader.no_limits();
    reader
        .decode()
        .map_err(|e| format!("{}: not a picture Slate can read: {e}", path.display()))
}

/// `src` scaled to fit `w`×`h` (aspect kept), centred on black.
pub fn fit(src: &RgbImage, w: u32, h: u32) -> RgbImage {
    let (sw, sh) = src.dimensions();
    let scale = (w as f64 / sw.max(1) as f64).min(h as f64 / sh.max(1) as f64);
    let tw = ((sw as f64 * scale).round() as u32).clamp(1, w);
    let th = ((sh as f64 * scale).round() as u32).clamp(1, h);
    let scaled = if (tw, th) == (sw, sh) {
        src.clone()
    } else if scale < 0.5 {
        // Area averaging: fast and sharp enough for a large reduction.
        imageops::thumbnail(src, tw, th)
    } else {
        imageops::resize(src, tw, th, imageops::FilterType::CatmullRom)
    };
    if (tw, th) == (w, h) {
        return scaled;
    }
    let mut out: RgbImage = ImageBuffer::from_pixel(w, h, Rgb([0, 0, 0]));
    imageops::overlay(
        &mut out,
        &scaled,
        ((w - tw) / 2) as i64,
        ((h - th) / 2) as i64,
    );
    out
}

/// Writes the three thumbnails of the picture at `src` into `dir` as
/// `<base>_thumb_{large,medium,small}.png`; returns their paths in [`SIZES`] order.
pub fn make_all(src: &Path, dir: &Path, base: &str) -> Result<Vec<PathBuf>, String> {
    let img = decode(src)?.into_rgb8();
    make_all_from(&img, dir, base)
}

/// [`make_all`] from pixels already in memory.
pub fn make_all_from(img: &RgbImage, dir: &Path, base: &str) -> Result<Vec<PathBuf>, String> {
    // Reduce once to the largest size's bounds, then make the smaller ones from that:
    // the big picture is read once whatever the number of sizes.
    let (sw, sh) = img.dimensions();
    let bound = 512u32;
    let reduced;
    let source = if sw > bound * 2 || sh > bound * 2 {
        let scale = (bound as f64 * 2.0 / sw as f64).min(bound as f64 * 2.0 / sh as f64);
        let tw = ((sw as f64 * scale).round() as u32).max(1);
        let th = ((sh as f64 * scale).round() as u32).max(1);
        reduced = imageops::thumbnail(img, tw, th);
        &reduced
    } else {
        img
    };
    let mut out = Vec::new();
    for (name, w, h) in SIZES {
        let thumb = fit(source, w, h);
        let path = dir.join(format!("{base}_thumb_{name}.png"));
        save_png(&thumb, &path)?;
        out.push(path);
    }
    Ok(out)
}

/// A plain grey placeholder at every size, for media Slate cannot make a picture of
/// (a video without ffmpeg installed): the grid shows a tile instead of nothing.
pub fn placeholder_all(dir: &Path, base: &str) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for (name, w, h) in SIZES {
        let mut img: RgbImage = ImageBuffer::from_pixel(w, h, Rgb([48, 48, 52]));
        // A diagonal cross marks "no picture" without needing a font.
        for i in 0..w.min(h) {
            let x = i * w / w.min(h);
            let y = i * h / w.min(h);
            for (px, py) in [(x, y), (w - 1 - x.min(w - 1), y)] {
                if px < w && py < h {
                    img.put_pixel(px, py, Rgb([110, 110, 120]));
                }
            }
        }
        let path = dir.join(format!("{base}_thumb_{name}.png"));
        save_png(&img, &path)?;
        out.push(path);
    }
    Ok(out)
}

/// Poster frame thumbnails of a video through ffmpeg, when it is installed.
/// `Ok(false)`: ffmpeg is not installed (the caller writes placeholders).
pub fn video_all(src: &Path, dir: &Path, base: &str) -> Result<bool, String> {
    let frame = dir.join(format!(".{base}_poster.png"));
    let ran = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-ss", "0", "-i"])
        .arg(src)
        .args(["-frames:v", "1"])
        .arg(&frame)
        .stdin(std::process::Stdio::null())
        .output();
    let out = match ran {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("ffmpeg: {e}")),
    };
    if !out.status.success() {
        std::fs::remove_file(&frame).ok();
        return Err(format!(
            "ffmpeg could not read a frame of {}: {}",
            src.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let made = make_all(&frame, dir, base);
    std::fs::remove_file(&frame).ok();
    made.map(|_| true)
}

fn save_png(img: &RgbImage, path: &Path) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let enc = image::codecs::png::PngEncoder::new_with_quality(
        &mut w,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    img.write_with_encoder(enc)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    use std::io::Write as _;
    w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
    w.get_ref()
        .sync_all()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A decoded picture for the UI: RGBA8 pixels, decoded on a worker thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Decodes a picture for display, scaled down to fit `max` pixels on its long side.
pub fn load_rgba(path: &Path, max: u32) -> Result<Rgba, String> {
    let img = decode(path)?;
    let img = if img.width() > max || img.height() > max {
        img.thumbnail(max, max)
    } else {
        img
    };
    let rgba = img.into_rgba8();
    Ok(Rgba {
        width: rgba.width(),
        height: rgba.height(),
        pixels: rgba.into_raw(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_sizes_letterboxed() {
        let dir = tempfile::tempdir().unwrap();
        let img = RgbImage::from_fn(640, 480, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 9]));
        let src = dir.path().join("a.png");
        img.save(&src).unwrap();
        let made = make_all(&src, dir.path(), "sh_take_001").unwrap();
        let dims: Vec<_> = made
            .iter()
            .map(|p| image::image_dimensions(p).unwrap())
            .collect();
        assert_eq!(dims, vec![(512, 512), (320, 180), (128, 128)]);
        assert!(made[1].ends_with("sh_take_001_thumb_medium.png"));
        // 4:3 in 16:9: black bars left and right.
        let medium = image::open(&made[1]).unwrap().into_rgb8();
        assert_eq!(medium.get_pixel(0, 90), &Rgb([0, 0, 0]));
        assert_ne!(medium.get_pixel(160, 90), &Rgb([0, 0, 0]));
    }
}
