#!/usr/bin/env python3
"""gen/video: an mp4 clip from a still with a camera move, encoded by ffmpeg.

The shot type picks the move (push-in, pan, tilt or Ken Burns) unless `move` names one.
Progress is ffmpeg's own `-progress` output, reported as JSON lines on stdout.

usage: clip.py SOURCE SHOT_TYPE MOVE DURATION FPS WIDTH HEIGHT CRF OUT_DIR
"""
import json
import os
import shutil
import subprocess
import sys

MOVES = {"wide": "pan", "medium": "push-in", "close-up": "push-in", "extreme-close-up": "push-in",
         "over-the-shoulder": "pan", "pov": "push-in", "establishing": "ken-burns", "low-angle": "tilt",
         "aerial": "ken-burns"}


def say(progress, stage, message):
    print(json.dumps({"progress": round(progress, 4), "stage": stage, "message": message}), flush=True)


def zoompan(move, frames, w, h):
    """A zoompan filter: zoom z, and the top-left corner x, y of the window, per frame."""
    t = "(on/%d)" % max(1, frames - 1)  # 0 → 1 over the clip
    if move == "push-in":
        z, x, y = "1+0.25*%s" % t, "iw/2-(iw/zoom/2)", "ih/2-(ih/zoom/2)"
    elif move == "pan":
        z, x, y = "1.25", "(iw-iw/zoom)*%s" % t, "ih/2-(ih/zoom/2)"
    elif move == "tilt":
        z, x, y = "1.25", "iw/2-(iw/zoom/2)", "(ih-ih/zoom)*(1-%s)" % t
    else:  # ken-burns: zoom in while drifting to a corner
        z, x, y = "1+0.3*%s" % t, "(iw-iw/zoom)*0.8*%s" % t, "(ih-ih/zoom)*0.3*%s" % t
    # Scale up first so the sub-pixel moves do not jitter.
    return ("scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,"
            "zoompan=z='%s':x='%s':y='%s':d=%d:s=%dx%d:fps=%s,format=yuv420p"
            % (w * 4, h * 4, w * 4, h * 4, z, x, y, frames, w, h, "{fps}"))


def main():
    if len(sys.argv) != 10:
        sys.exit(__doc__)
    source, shot, move, duration, fps, width, height, crf, out = sys.argv[1:]
    duration, fps, width, height, crf = float(duration), int(fps), int(width), int(height), int(crf)
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is not installed: apt-get install ffmpeg")
    if not os.path.isfile(source):
        sys.exit("the source image %s does not exist" % source)
    if not os.access(out, os.W_OK):
        sys.exit("cannot write to the output folder %s" % out)
    if move == "auto":
        move = MOVES.get(shot, "ken-burns")
    # H.264 in yuv420p needs even sizes.
    width, height = width - width % 2, height - height % 2
    frames = max(1, round(duration * fps))
    vf = zoompan(move, frames, width, height).replace("{fps}", str(fps))
    final = os.path.join(out, "clip.mp4")
    part = os.path.join(out, "clip.part.mp4")
    say(0.0, "encode", "%s, %d frames at %d fps" % (move, frames, fps))
    args = ["ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-y", "-i", source,
            "-vf", vf, "-frames:v", str(frames), "-r", str(fps), "-c:v", "libx264", "-preset", "veryfast",
            "-crf", str(crf), "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4",
            "-progress", "pipe:1", part]
    sys.stderr.write("command: %s\n" % json.dumps(args))
    sys.stderr.flush()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    last = -1.0
    for line in proc.stdout:
        key, _, value = line.strip().partition("=")
        if key == "frame" and value.isdigit():
            frac = min(1.0, int(value) / frames)
            if frac - last >= 0.05:
                last = frac
                say(0.98 * frac, "encode", "frame %s of %d" % (value, frames))
    err = proc.stderr.read()
    if proc.wait() != 0 or not os.path.exists(part):
        if os.path.exists(part):
            os.remove(part)
        sys.exit("ffmpeg failed: %s" % err.strip()[-800:])
    os.replace(part, final)
    say(1.0, "done", "clip.mp4 %dx%d, %.2f s at %d fps" % (width, height, frames / fps, fps))


if __name__ == "__main__":
    main()
