"""Proof that `gpt export --hf DIR` writes a Hugging Face GPT-2 folder that the ecosystem's own
light packages read as we do, without torch:

- `config.json` + `model.safetensors` (format "pt") give, through GPT-2's forward pass in NumPy
  (bench/check_export.py's, with the activation config.json names), the logits `gpt logits`
  prints, to 1e-4;
- `tokenizer.json` loaded by Hugging Face `tokenizers` gives the ids `gpt tokenize` gives, and
  decodes them back to the text;
- for byte-level BPE, GPT-2's classic `vocab.json` + `merges.txt`, loaded into a `tokenizers`
  BPE model, give the same ids too.

Usage: python3 bench/check_hf.py GPT_BINARY MODEL OUT_DIR "text to compare" ...
(MODEL: a checkpoint, or a Hugging Face folder that `gpt` imports.)
"""
import json
import os
import subprocess
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file
from tokenizers import Tokenizer, models

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_export import forward  # noqa: E402  (GPT-2's forward pass in NumPy)


def run(gpt, *args):
    return subprocess.check_output([gpt, *args], text=True)


def main():
    gpt, model, out = sys.argv[1], sys.argv[2], sys.argv[3]
    texts = sys.argv[4:]
    print(run(gpt, "export", "--model", model, "--hf", out).strip())
    cfg = json.load(open(os.path.join(out, "config.json")))
    assert cfg["model_type"] == "gpt2" and cfg["architectures"] == ["GPT2LMHeadModel"], cfg
    # Ours is the exact (erf) GELU; a model imported from GPT-2 keeps GPT-2's tanh form.
    assert cfg["activation_function"] in ("gelu", "gelu_new"), cfg["activation_function"]
    weights_path = os.path.join(out, "model.safetensors")
    with safe_open(weights_path, framework="numpy") as f:
        assert f.metadata() == {"format": "pt"}, f.metadata()
    W = {k: v.astype(np.float64) for k, v in load_file(weights_path).items()}

    tok = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
    classic = None
    if os.path.exists(os.path.join(out, "merges.txt")):
        bpe = models.BPE.from_file(os.path.join(out, "vocab.json"), os.path.join(out, "merges.txt"))
        classic = Tokenizer(bpe)
        classic.pre_tokenizer = tok.pre_tokenizer
        classic.decoder = tok.decoder
        # Special tokens (an imported GPT-2's <|endoftext|>) are added tokens, as in GPT-2's tokenizer.
        classic.add_special_tokens([t for t in tok.get_added_tokens_decoder().values()])

    worst, scored = 0.0, 0
    for text in texts:
        ours = json.loads(run(gpt, "tokenize", "--model", model, "--text", text))["ids"]
        theirs = tok.encode(text).ids
        if ours != theirs:
            sys.exit(f"FAIL: tokenizer.json gives other ids for {text!r}:\n ours   {ours}\n theirs {theirs}")
        back = tok.decode(theirs, skip_special_tokens=False)
        if back != text:
            sys.exit(f"FAIL: tokenizers decodes {text!r} as {back!r}")
        if classic is not None and classic.encode(text).ids != ours:
            sys.exit(f"FAIL: vocab.json + merges.txt give other ids for {text!r}")
        print(f"{len(ours)} tokens, the same ids in tokenizers: {text[:40]!r}")
        if len(ours) <= cfg["n_positions"]:  # logits of texts that fit one context window
            got = json.loads(run(gpt, "logits", "--model", model, "--text", text))
            ref = forward(W, cfg, np.array(ours))
            worst = max(worst, float(np.abs(np.array(got["logits"]) - ref).max()))
            scored += 1
    if scored == 0:
        sys.exit("FAIL: no text fits the context window, so no logits were compared")
    print(f"{len(W)} tensors; {scored} texts scored; "
          f"max |gpt logits - numpy(config.json, model.safetensors)| = {worst:.2e}")
    if not worst < 1e-4:
        sys.exit(f"FAIL: logits differ by {worst}")
    print("hf check passed: the folder loads with tokenizers/safetensors/NumPy and agrees with gpt")


if __name__ == "__main__":
    main()
