#!/usr/bin/env python3
"""gen/voice: speech from text with festival's HTS voice (espeak-ng as the fallback),
loudness normalised by sox. WAV out; progress as JSON lines on stdout.

usage: speak.py TEXT VOICE RATE OUT_DIR     (VOICE: slt or espeak; RATE: 0.5 to 2.0)
"""
import json
import os
import shutil
import subprocess
import sys


def say(progress, stage, message):
    print(json.dumps({"progress": round(progress, 4), "stage": stage, "message": message}), flush=True)


def run(args, what, **kw):
    sys.stderr.write("command: %s\n" % json.dumps(args))
    sys.stderr.flush()
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if p.returncode != 0:
        sys.exit("%s failed: %s" % (what, (p.stderr or p.stdout).strip()[-600:]))


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    text, voice, rate, out = sys.argv[1:]
    rate = float(rate)
    text = " ".join(text.split())
    if not text:
        sys.exit("the text is empty: give a line to speak")
    if not os.access(out, os.W_OK):
        sys.exit("cannot write to the output folder %s" % out)
    if shutil.which("sox") is None:
        sys.exit("sox is not installed: apt-get install sox")
    hts = "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts"
    if voice == "slt" and (shutil.which("text2wave") is None or not os.path.isdir(hts)):
        if shutil.which("espeak-ng") is None:
            sys.exit("no voice is installed: apt-get install festival festvox-us-slt-hts (or espeak-ng)")
        say(0.05, "voice", "festival's HTS voice is not installed (festival, festvox-us-slt-hts): using espeak-ng")
        voice = "espeak"
    if voice == "espeak" and shutil.which("espeak-ng") is None:
        sys.exit("espeak-ng is not installed: apt-get install espeak-ng")
    raw = os.path.join(out, "voice.raw.wav")
    txt = os.path.join(out, "voice.txt")  # kept: the words the WAV says
    with open(txt, "w") as f:
        f.write(text + "\n")
    say(0.1, "speak", "%d words with %s" % (len(text.split()), voice))
    try:
        if voice == "slt":
            stretch = "(Parameter.set 'Duration_Stretch %.3f)" % (1.0 / rate)
            run(["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-eval", stretch, "-o", raw, txt], "festival")
        else:
            run(["espeak-ng", "-v", "en-us", "-s", str(int(175 * rate)), "-w", raw, "-f", txt], "espeak-ng")
        say(0.8, "normalise", "loudness to -1 dBFS peak, 44.1 kHz mono")
        final = os.path.join(out, "voice.wav")
        run(["sox", raw, "-r", "44100", "-c", "1", "-b", "16", final + ".part.wav", "norm", "-1"], "sox")
        os.replace(final + ".part.wav", final)
    finally:
        if os.path.exists(raw):
            os.remove(raw)
    seconds = os.path.getsize(final) / (44100 * 2)
    say(1.0, "done", "voice.wav, about %.1f s" % seconds)


if __name__ == "__main__":
    main()
