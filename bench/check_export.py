"""Proof that a checkpoint written by `gpt train` loads outside Rust: read it with the
`safetensors` Python package, run GPT-2's forward pass in a few lines of NumPy using the
Hugging Face GPT-2 tensor names and layout, and compare with the logits `gpt logits` prints.

Usage: python3 bench/check_export.py MODEL.safetensors "some text"
"""
import json
import math
import subprocess
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def layer_norm(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


def gelu(x):  # exact (erf) GELU, as nanoGPT's nn.GELU()
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def gelu_new(x):  # GPT-2's tanh approximation (transformers' "gelu_new")
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(W, cfg, ids):
    """GPT-2's logits for `ids`. `cfg` is our checkpoint's config or a Hugging Face config.json;
    tensor names may lack the "transformer." prefix (GPT2Model files); an untied head reads
    lm_head.weight."""
    W = {k if k.startswith(("transformer.", "lm_head.")) else "transformer." + k: v for k, v in W.items()}
    act = cfg.get("activation_function", cfg.get("activation", "gelu"))
    act = {"gelu": gelu, "gelu_new": gelu_new, "gelu_pytorch_tanh": gelu_new}[act]
    T, C, H = len(ids), cfg["n_embd"], cfg["n_head"]
    x = W["transformer.wte.weight"][ids] + W["transformer.wpe.weight"][:T]
    mask = np.triu(np.ones((T, T), dtype=bool), 1)
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        h = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"])
        q, k, v = np.split(h @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"], 3, axis=-1)
        q, k, v = (a.reshape(T, H, C // H).transpose(1, 0, 2) for a in (q, k, v))
        att = q @ k.transpose(0, 2, 1) / math.sqrt(C // H)
        att = np.where(mask, -np.inf, att)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        y = (att @ v).transpose(1, 0, 2).reshape(T, C)
        x = x + y @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        h = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"])
        h = act(h @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"])
        x = x + h @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]
    x = layer_norm(x, W["transformer.ln_f.weight"], W["transformer.ln_f.bias"])
    return x @ W.get("lm_head.weight", W["transformer.wte.weight"]).T  # tied unless lm_head exists


def main():
    path, text = sys.argv[1], sys.argv[2]
    gpt = sys.argv[3] if len(sys.argv) > 3 else "target/release/gpt"
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    cfg = json.loads(meta["config"])
    W = load_file(path)
    out = json.loads(subprocess.check_output([gpt, "logits", "--model", path, "--text", text]))
    ours = np.array(out["logits"], dtype=np.float64)
    ref = forward({k: v.astype(np.float64) for k, v in W.items()}, cfg, np.array(out["tokens"]))
    diff = float(np.abs(ours - ref).max())
    print(f"{len(W)} tensors, config {cfg['n_layer']} layers x {cfg['n_embd']} wide; "
          f"{len(out['tokens'])} tokens; max |gpt - numpy| = {diff:.2e}")
    if not diff < 1e-4:
        sys.exit(f"FAIL: logits differ by {diff}")
    print("export check passed: the checkpoint loads in NumPy with GPT-2 names and gives the same logits")


if __name__ == "__main__":
    main()
