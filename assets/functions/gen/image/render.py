#!/usr/bin/env python3
"""gen/image: a ray-traced still with POV-Ray, built from a prompt and a shot type.

Words in the prompt pick the subject, palette, weather and time of day; the shot type
picks the camera; the seed moves the scenery. Progress is POV-Ray's own pixel count,
reported as JSON lines on stdout, with a quick low-resolution preview first.

usage: render.py PROMPT SHOT_TYPE WIDTH HEIGHT SEED QUALITY ANTIALIAS PREVIEW OUT_DIR
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys

SUBJECTS = {
    "lighthouse": ["lighthouse", "tower", "beacon"],
    "house": ["house", "cabin", "cottage", "home", "barn"],
    "tree": ["tree", "forest", "woods", "oak", "pine"],
    "robot": ["robot", "android", "machine", "person", "figure", "man", "woman", "character"],
    "monolith": ["monolith", "statue", "stone", "obelisk", "monument"],
    "sphere": ["ball", "sphere", "planet", "moon", "orb"],
}
PALETTES = {
    "red": (0.85, 0.12, 0.1), "crimson": (0.7, 0.05, 0.15), "orange": (0.95, 0.5, 0.1),
    "yellow": (0.95, 0.85, 0.2), "golden": (0.9, 0.7, 0.25), "green": (0.15, 0.6, 0.2),
    "blue": (0.15, 0.3, 0.85), "teal": (0.1, 0.55, 0.55), "purple": (0.5, 0.2, 0.7),
    "pink": (0.95, 0.5, 0.7), "white": (0.92, 0.92, 0.9), "black": (0.08, 0.08, 0.1),
    "grey": (0.5, 0.5, 0.52), "gray": (0.5, 0.5, 0.52), "brown": (0.45, 0.28, 0.15),
}
TIMES = {  # sky at the zenith, sky at the horizon, sun colour, sun height
    "dawn": ((0.35, 0.4, 0.7), (1.0, 0.65, 0.45), (1.0, 0.8, 0.6), 8),
    "noon": ((0.2, 0.45, 0.9), (0.7, 0.85, 1.0), (1.0, 1.0, 0.95), 60),
    "dusk": ((0.2, 0.15, 0.4), (1.0, 0.45, 0.2), (1.0, 0.6, 0.35), 6),
    "night": ((0.01, 0.01, 0.05), (0.05, 0.07, 0.18), (0.45, 0.5, 0.8), 40),
}
TIME_WORDS = {"dawn": ["dawn", "sunrise", "morning"], "noon": ["noon", "day", "midday", "afternoon"],
              "dusk": ["dusk", "sunset", "evening", "twilight"], "night": ["night", "midnight", "dark", "moonlit"]}
WEATHER_WORDS = {"storm": ["storm", "stormy", "thunder", "rain", "rainy"], "fog": ["fog", "foggy", "mist", "misty", "haze"],
                 "snow": ["snow", "snowy", "winter", "ice"]}
# Camera: (distance from the subject, camera height, look-at height, lens angle, sideways offset)
SHOTS = {
    "wide": (18.0, 3.0, 2.5, 60, 0.0),
    "medium": (9.0, 2.5, 3.0, 45, 0.0),
    "close-up": (4.5, 4.0, 4.0, 35, 0.0),
    "extreme-close-up": (2.5, 4.3, 4.3, 30, 0.0),
    "pov": (5.0, 1.7, 1.7, 70, 0.8),
    "establishing": (28.0, 8.0, 2.0, 65, 0.0),
    "over-the-shoulder": (7.0, 2.2, 3.0, 45, -1.6),
    "low-angle": (8.0, 0.4, 4.5, 55, 0.0),
    "aerial": (16.0, 14.0, 1.0, 55, 0.0),
}


def say(progress, stage, message, preview=None):
    line = {"progress": round(progress, 4), "stage": stage, "message": message}
    if preview:
        line["preview"] = preview
    print(json.dumps(line), flush=True)


def pick(words, table, default):
    for key, names in table.items():
        if any(n in words for n in names):
            return key
    return default


def rgb(c):
    return "rgb <%.3f, %.3f, %.3f>" % c


def scene(prompt, shot, seed):
    words = set(re.findall(r"[a-z]+(?:-[a-z]+)?", prompt.lower()))
    rnd = random.Random(seed)
    subject = pick(words, SUBJECTS, "monolith")
    colour = next((PALETTES[w] for w in re.findall(r"[a-z]+", prompt.lower()) if w in PALETTES), None)
    colour = colour or (rnd.uniform(0.3, 0.9), rnd.uniform(0.2, 0.7), rnd.uniform(0.2, 0.6))
    time = pick(words, TIME_WORDS, "noon")
    weather = pick(words, WEATHER_WORDS, "clear")
    zenith, horizon, sun, sun_height = TIMES[time]
    sea = bool(words & {"sea", "ocean", "water", "lake", "coast", "beach", "cliff", "harbour", "harbor"})
    dist, cam_y, look_y, angle, side = SHOTS[shot]
    turn = rnd.uniform(-25, 25)
    out = ['#version 3.7;', '#include "colors.inc"', 'global_settings { assumed_gamma 1.0 }']
    out.append("camera { location <%.2f, %.2f, %.2f> look_at <0, %.2f, 0> angle %d rotate y*%.1f }"
               % (side, cam_y, -dist, look_y, angle, turn))
    out.append("sky_sphere { pigment { gradient y color_map { [0 color %s] [0.35 color %s] } } }"
               % (rgb(horizon), rgb(zenith)))
    out.append("light_source { <-30, %d, -40> color %s * 1.3 }" % (sun_height, rgb(sun)))
    out.append("light_source { <20, 30, -30> color %s * 0.25 shadowless }" % rgb(horizon))
    if weather == "fog":
        out.append("fog { distance 25 color %s }" % rgb(horizon))
    elif weather == "storm":
        out.append("fog { distance 60 color rgb <0.25, 0.27, 0.3> }")
    ground = (0.9, 0.92, 0.95) if weather == "snow" else (0.35, 0.3, 0.22) if sea else (0.25, 0.45, 0.18)
    out.append("plane { y, 0 pigment { color %s } }" % rgb(ground))
    if sea:
        out.append("plane { y, 0.05 clipped_by { box { <-200, -1, 6> <200, 1, 400> } } "
                   "pigment { color rgb <0.05, 0.2, 0.35> } finish { reflection 0.35 } "
                   "normal { bumps 0.4 scale 0.6 } }")
    for _ in range(rnd.randint(4, 9)):  # rocks, placed by the seed
        out.append("sphere { <%.2f, 0, %.2f>, %.2f scale <1, 0.6, 1> pigment { color rgb <0.35, 0.33, 0.3> } }"
                   % (rnd.uniform(-12, 12), rnd.uniform(-3, 12), rnd.uniform(0.4, 1.3)))
    c = rgb(colour)
    if subject == "lighthouse":
        out.append("cone { <0, 0, 0>, 1.2, <0, 7, 0>, 0.8 pigment { gradient y color_map { [0.5 color %s] [0.5 color White] } scale 2 } }" % c)
        out.append("cylinder { <0, 7, 0>, <0, 8, 0>, 0.9 pigment { color rgb <1, 0.95, 0.6> } finish { emission 0.8 } }")
        out.append("cone { <0, 8, 0>, 1.1, <0, 9, 0>, 0 pigment { color %s } }" % c)
    elif subject == "house":
        out.append("box { <-2, 0, -1.5>, <2, 2.5, 1.5> pigment { color %s } }" % c)
        out.append("prism { 0, 4.2, 4, <-2.4, 0>, <2.4, 0>, <0, 1.8>, <-2.4, 0> rotate -90*x translate <0, 2.5, -2.1> pigment { color rgb <0.3, 0.12, 0.08> } }")
        out.append("box { <-0.4, 0, -1.55>, <0.4, 1.6, -1.5> pigment { color rgb <0.2, 0.1, 0.05> } }")
    elif subject == "tree":
        for _ in range(rnd.randint(3, 6)):
            x, z = rnd.uniform(-6, 6), rnd.uniform(-1, 6)
            out.append("cylinder { <%.2f, 0, %.2f>, <%.2f, 2.5, %.2f>, 0.3 pigment { color rgb <0.35, 0.2, 0.1> } }" % (x, z, x, z))
            out.append("cone { <%.2f, 1.8, %.2f>, 1.6, <%.2f, 6, %.2f>, 0 pigment { color %s } }" % (x, z, x, z, c))
    elif subject == "robot":
        out.append("union { box { <-0.8, 1.6, -0.5>, <0.8, 3.6, 0.5> } sphere { <0, 4.3, 0>, 0.6 } "
                   "cylinder { <-0.4, 0, 0>, <-0.4, 1.6, 0>, 0.25 } cylinder { <0.4, 0, 0>, <0.4, 1.6, 0>, 0.25 } "
                   "pigment { color %s } finish { specular 0.6 metallic } }" % c)
        out.append("sphere { <0.25, 4.4, -0.55>, 0.1 pigment { color White } finish { emission 1 } }")
    elif subject == "sphere":
        out.append("sphere { <0, 2.5, 0>, 2.5 pigment { color %s } finish { specular 0.5 reflection 0.15 } }" % c)
    else:
        out.append("box { <-1, 0, -0.4>, <1, 6, 0.4> pigment { color %s } finish { specular 0.4 } }" % c)
    if time == "night":
        for _ in range(60):
            out.append("sphere { <%.1f, %.1f, 300>, 0.6 pigment { color White } finish { emission 1 } no_shadow }"
                       % (rnd.uniform(-300, 300), rnd.uniform(20, 200)))
    return "\n".join(out) + "\n", dict(subject=subject, time=time, weather=weather, sea=sea)


def povray(pov, png, width, height, quality, antialias, first, span, label):
    args = ["povray", "+I" + pov, "+O" + png, "+W%d" % width, "+H%d" % height, "+Q%d" % quality,
            "-D", "+FN", "-GA"]  # no display, PNG out, no statistics chatter
    args += ["+A0.3", "+AM2", "+R2"] if antialias else ["-A"]
    sys.stderr.write("command: %s\n" % json.dumps(args))
    sys.stderr.flush()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    tail, buf, last = [], b"", -1.0
    while True:
        chunk = proc.stderr.read1(4096) if hasattr(proc.stderr, "read1") else proc.stderr.read(4096)
        if not chunk:
            break
        buf += chunk
        *parts, buf = re.split(rb"[\r\n]", buf)
        for part in parts:
            text = part.decode("utf-8", "replace").strip()
            m = re.match(r"Rendered (\d+) of (\d+) pixels", text)
            if m:
                frac = int(m.group(1)) / max(1, int(m.group(2)))
                if frac - last >= 0.05 or frac >= 1.0:
                    last = frac
                    say(first + span * frac, label, "%s of %s pixels" % m.groups())
            elif text:
                tail = (tail + [text])[-8:]
    if proc.wait() != 0 or not os.path.exists(png):
        sys.stderr.write("POV-Ray failed:\n" + "\n".join(tail) + "\n")
        sys.exit(1)


def main():
    if len(sys.argv) != 10:
        sys.exit(__doc__)
    prompt, shot, width, height, seed, quality, antialias, preview, out = sys.argv[1:]
    width, height, seed, quality = int(width), int(height), int(seed), int(quality)
    antialias = antialias.lower() in ("true", "1", "yes")
    if not prompt.strip():
        sys.exit("the prompt is empty: describe the picture")
    if shot not in SHOTS:
        sys.exit("unknown shot type %r; use one of %s" % (shot, ", ".join(SHOTS)))
    if shutil.which("povray") is None:
        sys.exit("POV-Ray is not installed: apt-get install povray povray-includes")
    if not os.path.exists("/usr/share/povray-3.7/include/colors.inc"):
        sys.exit("POV-Ray's include files are missing: apt-get install povray-includes")
    if not os.access(out, os.W_OK):
        sys.exit("cannot write to the output folder %s" % out)
    say(0.0, "scene", "building the scene")
    text, picked = scene(prompt, shot, seed)
    pov = os.path.join(out, "scene.pov")
    with open(pov, "w") as f:
        f.write(text)
    say(0.02, "scene", "%(subject)s, %(time)s, %(weather)s" % picked)
    first = 0.02
    if preview.lower() in ("true", "1", "yes"):
        # A quick preview at an eighth of the size, then the real render.
        pw, ph = max(16, width // 8), max(16, height // 8)
        povray(pov, os.path.join(out, "preview.png"), pw, ph, min(quality, 4), False, 0.02, 0.08, "preview")
        say(0.1, "preview", "preview %dx%d" % (pw, ph), preview="preview.png")
        first = 0.1
    final = os.path.join(out, "image.png")
    povray(pov, final + ".part.png", width, height, quality, antialias, first, 1.0 - first, "render")
    os.replace(final + ".part.png", final)
    if os.path.exists(os.path.join(out, "preview.png")):
        os.remove(os.path.join(out, "preview.png"))
    say(1.0, "done", "image.png %dx%d" % (width, height))


if __name__ == "__main__":
    main()
