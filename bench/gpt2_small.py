"""A GPT-2 small (124M parameters: 12 layers x 768, 12 heads, context 1024, GPT-2's real
50,257-token vocabulary) Hugging Face folder with random weights, for measuring what a model of
that size costs here (bench/gpt2_small.sh). No weights of OpenAI's are involved: the registry
ships GPT-2's tokenizer (corpora/dist/gpt2, `make corpora`) but not its weights, and the cost of
inference does not depend on the values.

Usage: python3 bench/gpt2_small.py corpora/dist/gpt2 OUT_DIR
"""
import json
import os
import shutil
import sys

import numpy as np
from safetensors.numpy import save_file


def main():
    tokenizer, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    V, T, C, L, H = 50257, 1024, 768, 12, 12
    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V,
           "n_positions": T, "n_ctx": T, "n_embd": C, "n_layer": L, "n_head": H,
           "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
           "bos_token_id": 50256, "eos_token_id": 50256}
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=2)
    rng = np.random.default_rng(0)
    r = lambda *s: (rng.standard_normal(s, dtype=np.float32) * 0.02)  # noqa: E731
    W = {"transformer.wte.weight": r(V, C), "transformer.wpe.weight": r(T, C),
         "transformer.ln_f.weight": np.ones(C, np.float32), "transformer.ln_f.bias": np.zeros(C, np.float32)}
    for i in range(L):
        p = f"transformer.h.{i}."
        W |= {p + "ln_1.weight": np.ones(C, np.float32), p + "ln_1.bias": np.zeros(C, np.float32),
              p + "attn.c_attn.weight": r(C, 3 * C), p + "attn.c_attn.bias": np.zeros(3 * C, np.float32),
              p + "attn.c_proj.weight": r(C, C), p + "attn.c_proj.bias": np.zeros(C, np.float32),
              p + "ln_2.weight": np.ones(C, np.float32), p + "ln_2.bias": np.zeros(C, np.float32),
              p + "mlp.c_fc.weight": r(C, 4 * C), p + "mlp.c_fc.bias": np.zeros(4 * C, np.float32),
              p + "mlp.c_proj.weight": r(4 * C, C), p + "mlp.c_proj.bias": np.zeros(C, np.float32)}
    save_file(W, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(tokenizer, name), os.path.join(out, name))
    params = sum(v.size for v in W.values())
    print(f"{out}: {params:,} parameters, model.safetensors {os.path.getsize(os.path.join(out, 'model.safetensors')) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
