"""Proof that `gpt` reads Hugging Face GPT-2 folders it did not write, without torch: folders are
made here the way the ecosystem makes them, with `tokenizers` (a byte-level BPE trained with
GPT-2's pre-tokenizer and an <|endoftext|> special token, so ids are laid out as `tokenizers`
lays them out: the special token first, then the 256 bytes in character order, then the merges),
`safetensors` and NumPy (random weights, GPT-2's "gelu_new" activation), then

- `gpt tokenize` on the folder gives the ids `tokenizers` gives, <|endoftext|> included;
- `gpt logits` on the folder gives NumPy's GPT-2 forward pass of config.json + model.safetensors
  to 1e-4.

Two folders: "lm" as `GPT2LMHeadModel.save_pretrained` writes it (names with "transformer.", a
tied head, tokenizer.json); "bare" as the Hub's gpt2 (names without the prefix, the causal-mask
buffers `h.N.attn.bias`, an untied `lm_head.weight`, only vocab.json + merges.txt, f16 weights).

Usage: python3 bench/check_hf_import.py GPT_BINARY CORPUS OUT_DIR "text" ...
"""
import json
import os
import subprocess
import sys

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_export import forward  # noqa: E402  (GPT-2's forward pass in NumPy)

EOT = "<|endoftext|>"


def run(gpt, *args):
    return subprocess.check_output([gpt, *args], text=True)


def train_tokenizer(corpus, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)  # GPT-2's expression
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOT], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train([corpus], trainer)
    return tok


def weights(cfg, rng, bare, tied):
    """GPT-2's tensors with random values (large enough that wrong wiring shows in the logits)."""
    V, T, C, L = cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], cfg["n_layer"]
    r = lambda *shape, s=0.3: (rng.standard_normal(shape) * s).astype(np.float32)  # noqa: E731
    pre = "" if bare else "transformer."
    W = {pre + "wte.weight": r(V, C), pre + "wpe.weight": r(T, C)}
    for i in range(L):
        p = f"{pre}h.{i}."
        W |= {p + "ln_1.weight": 1 + r(C, s=0.1), p + "ln_1.bias": r(C, s=0.1),
              p + "attn.c_attn.weight": r(C, 3 * C), p + "attn.c_attn.bias": r(3 * C, s=0.1),
              p + "attn.c_proj.weight": r(C, C), p + "attn.c_proj.bias": r(C, s=0.1),
              p + "ln_2.weight": 1 + r(C, s=0.1), p + "ln_2.bias": r(C, s=0.1),
              p + "mlp.c_fc.weight": r(C, 4 * C), p + "mlp.c_fc.bias": r(4 * C, s=0.1),
              p + "mlp.c_proj.weight": r(4 * C, C), p + "mlp.c_proj.bias": r(C, s=0.1)}
        if bare:  # the causal mask buffer old GPT-2 files carry; not a parameter
            W[p + "attn.bias"] = np.tril(np.ones((1, 1, T, T), dtype=np.float32))
    W[pre + "ln_f.weight"] = 1 + r(C, s=0.1)
    W[pre + "ln_f.bias"] = r(C, s=0.1)
    if not tied:
        W["lm_head.weight"] = r(V, C)
    return W


def make_folder(out, tok, bare, rng):
    os.makedirs(out, exist_ok=True)
    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
           "vocab_size": tok.get_vocab_size(), "n_positions": 32, "n_ctx": 32, "n_embd": 16,
           "n_layer": 2, "n_head": 2, "n_inner": None, "activation_function": "gelu_new",
           "layer_norm_epsilon": 1e-5, "tie_word_embeddings": not bare,
           "bos_token_id": 0, "eos_token_id": 0}
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=2)
    W = weights(cfg, rng, bare, tied=not bare)
    if bare:  # half precision, as many Hub files; the reference reads the same rounded values
        W = {k: v.astype(np.float16) for k, v in W.items()}
    save_file(W, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    tok.model.save(out)  # vocab.json + merges.txt
    if not bare:
        tok.save(os.path.join(out, "tokenizer.json"))
    return cfg, {k: v.astype(np.float64) for k, v in W.items()}


def main():
    gpt, corpus, out = sys.argv[1], sys.argv[2], sys.argv[3]
    texts = sys.argv[4:] + [f"The end.{EOT}A new text: don't stop, it's 42!"]
    tok = train_tokenizer(corpus, 400)
    vocab = tok.get_vocab()
    assert vocab[EOT] == 0 and vocab["!"] == 1, "tokenizers' layout: specials, then characters"
    rng = np.random.default_rng(7)
    for name, bare in (("lm", False), ("bare", True)):
        folder = os.path.join(out, name)
        cfg, W = make_folder(folder, tok, bare, rng)
        worst, scored = 0.0, 0
        for text in texts:
            ours = json.loads(run(gpt, "tokenize", "--model", folder, "--text", text))["ids"]
            theirs = tok.encode(text).ids
            if ours != theirs:
                sys.exit(f"FAIL ({name}): other ids than tokenizers for {text!r}:\n"
                         f" ours   {ours}\n theirs {theirs}")
            if len(ours) > cfg["n_positions"]:
                continue  # logits only for texts that fit one context window
            got = json.loads(run(gpt, "logits", "--model", folder, "--text", text))
            assert got["tokens"] == ours
            ref = forward(W, cfg, np.array(ours))
            worst = max(worst, float(np.abs(np.array(got["logits"]) - ref).max()))
            scored += 1
        print(f"{name}: {len(W)} tensors, vocab {cfg['vocab_size']}; {len(texts)} texts: the ids of "
              f"tokenizers; {scored} scored: max |gpt logits - numpy| = {worst:.2e}")
        if scored == 0 or not worst < 1e-4:
            sys.exit(f"FAIL ({name}): logits differ by {worst}")
    print("hf import check passed: GPT-2 folders made by tokenizers/safetensors/NumPy load in gpt")


if __name__ == "__main__":
    main()
