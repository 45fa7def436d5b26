#!/usr/bin/env python3
"""Text to image with a diffusers pipeline from a local folder (/models/NAME).
Reports progress as Slate's JSON lines, one per denoising step."""
import argparse
import json
import os
import sys


def say(progress, stage, message):
    print(json.dumps({"progress": round(progress, 4), "stage": stage, "message": message}), flush=True)


def main():
    p = argparse.ArgumentParser()
    for name in ("model", "prompt", "negative", "out"):
        p.add_argument("--" + name, default="")
    for name in ("width", "height", "steps", "seed"):
        p.add_argument("--" + name, type=int)
    p.add_argument("--guidance", type=float)
    a = p.parse_args()
    if not os.path.isfile(os.path.join(a.model, "model_index.json")):
        sys.exit("%s is not a diffusers model folder (no model_index.json): put one under "
                 "01_Assets/Models in the project" % a.model)
    import torch
    from diffusers import AutoPipelineForText2Image
    say(0.0, "load", "loading %s" % os.path.basename(a.model))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.float16 if device == "cuda" else torch.float32
    pipe = AutoPipelineForText2Image.from_pretrained(a.model, torch_dtype=dtype, local_files_only=True).to(device)

    def step(pipe, i, t, kw):
        say(0.05 + 0.9 * (i + 1) / a.steps, "denoise", "step %d of %d" % (i + 1, a.steps))
        return kw

    g = torch.Generator(device=device).manual_seed(a.seed)
    image = pipe(a.prompt, negative_prompt=a.negative or None, width=a.width, height=a.height,
                 num_inference_steps=a.steps, guidance_scale=a.guidance, generator=g,
                 callback_on_step_end=step).images[0]
    image.save(a.out)
    say(1.0, "done", os.path.basename(a.out))


if __name__ == "__main__":
    main()
