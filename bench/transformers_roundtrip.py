"""One-off proof with the real `transformers` (not part of `make test`: torch is gigabytes):

(a) a model trained by `gpt train` and exported with `gpt export --hf` loads with
    `GPT2LMHeadModel.from_pretrained` and `AutoTokenizer.from_pretrained`, gives our logits to
    1e-4, starts from our loss on the corpus, and a few `transformers` AdamW steps lower it;
(b) a random-weight `GPT2LMHeadModel(...).save_pretrained` folder (GPT-2's gelu_new, with a
    `PreTrainedTokenizerFast.save_pretrained` byte-level BPE tokenizer that has <|endoftext|>)
    loads in `gpt` with the logits of `transformers`, to 1e-4.

Usage: pip install torch transformers
       python3 bench/transformers_roundtrip.py GPT_BINARY CORPUS OUT_DIR
Prints the figures; exits non-zero if a check fails. OUT_DIR/random-gpt2 is left for the page
(HF_FOLDER=OUT_DIR/random-gpt2 node --test tests/huggingface.test.mjs).
"""
import json
import os
import re
import subprocess
import sys

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

TEXTS = ["The causal mask hides the future.", "the model reads the tokens, don't it?"]


def run(gpt, *args):
    return subprocess.check_output([gpt, *args], text=True)


def max_logit_gap(gpt, folder, model, tok):
    worst = 0.0
    for text in TEXTS:
        ours = json.loads(run(gpt, "logits", "--model", folder, "--text", text))
        ids = tok(text)["input_ids"]
        if ids != ours["tokens"]:
            sys.exit(f"FAIL: AutoTokenizer gives {ids}, gpt {ours['tokens']} for {text!r}")
        with torch.no_grad():
            theirs = model(torch.tensor([ids])).logits[0].double()
        worst = max(worst, float((theirs - torch.tensor(ours["logits"], dtype=torch.float64)).abs().max()))
    return worst


def mean_loss(model, ids, T):
    """The mean next-token loss over every full window of `ids` (non-overlapping)."""
    windows = ids[: len(ids) // T * T].view(-1, T)
    model.eval()
    with torch.no_grad():
        return float(torch.stack([model(w[None], labels=w[None]).loss for w in windows]).mean())


def part_a(gpt, corpus, out):
    ckpt = os.path.join(out, "ours.safetensors")
    log = run(gpt, "train", "--corpus", corpus, "--preset", "tiny", "--iters", "300",
              "--tokenizer", "bpe", "--vocab-size", "400", "--eval-interval", "100", "--out", ckpt)
    our_train, our_val = map(float, re.findall(r"train loss ([0-9.]+), val loss ([0-9.]+)", log)[-1])
    folder = os.path.join(out, "ours-hf")
    run(gpt, "export", "--model", ckpt, "--hf", folder)
    model = GPT2LMHeadModel.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    gap = max_logit_gap(gpt, ckpt, model, tok)
    print(f"(a) GPT2LMHeadModel.from_pretrained(our export): max |logits - gpt logits| = {gap:.2e}")
    # The same split as `gpt train` (the last 10% held out), scored by transformers.
    ids = torch.tensor(tok(open(corpus, encoding="utf-8").read())["input_ids"])
    n_val = round(len(ids) * 0.1)
    train, val = ids[:-n_val], ids[-n_val:]
    T, B = model.config.n_positions, 16
    start_train, start_val = mean_loss(model, train, T), mean_loss(model, val, T)
    # Continue training in transformers on the training split.
    g = torch.Generator().manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.99), weight_decay=0.1)
    for _ in range(100):
        model.train()
        starts = torch.randint(len(train) - T - 1, (B,), generator=g)
        x = torch.stack([train[s:s + T] for s in starts])
        loss = model(x, labels=x).loss  # transformers shifts the labels itself
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    end_train = mean_loss(model, train, T)
    print(f"(a) losses, train / val: gpt's estimate {our_train:.4f} / {our_val:.4f}; transformers "
          f"on the same split {start_train:.4f} / {start_val:.4f}; after 100 transformers AdamW "
          f"steps, train {end_train:.4f}")
    if not gap < 1e-4 or abs(start_train - our_train) > 0.1 or abs(start_val - our_val) > 0.1 \
            or not end_train < start_train:
        sys.exit("FAIL (a)")


def part_b(gpt, corpus, out):
    folder = os.path.join(out, "random-gpt2")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train([corpus], trainers.BpeTrainer(vocab_size=500, special_tokens=["<|endoftext|>"],
                                            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                            show_progress=False))
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", bos_token="<|endoftext|>")
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=bpe.get_vocab_size(), n_positions=32, n_embd=32, n_layer=2, n_head=4,
                        activation_function="gelu_new", bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():  # larger than the default init, so a wrong detail shows in the logits
        for name, p in model.named_parameters():
            if "ln_" not in name:
                p.mul_(10)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    print(f"(b) save_pretrained wrote {sorted(os.listdir(folder))}")
    gap = max_logit_gap(gpt, folder, model, tok)
    print(f"(b) gpt logits on the save_pretrained folder: max |gpt - transformers| = {gap:.2e}")
    if not gap < 1e-4:
        sys.exit("FAIL (b)")


def main():
    gpt, corpus, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    part_a(gpt, corpus, out)
    part_b(gpt, corpus, out)
    print("transformers round trip passed")


if __name__ == "__main__":
    main()
