"""PyTorch reference: the same GPT (nanoGPT / GPT-2 architecture) trained with the same settings
as `gpt bench --preset P`, to measure training tokens/s on the same machine in the same run
(`--device cuda` for the GPU comparison with `gpt bench --device wgpu`).

Pre-LN blocks, exact GELU, biases, tied LM head, nanoGPT initialisation, AdamW with weight decay
on 2-D parameters only, gradient clipping at 1.0, batch 12 x context 64, random token ids.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.n_head = n_head

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, vocab, block, n_layer, n_head, n_embd):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("c_proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


# Model and batch shapes of the `gpt` presets (crates/gpt/src/config.rs, train/mod.rs):
# (context, layers, heads, width, batch).
PRESETS = {"tiny": (32, 2, 2, 32, 16), "baby": (64, 4, 4, 128, 12), "small": (128, 6, 6, 192, 16)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=65)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="baby")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    block, n_layer, n_head, n_embd, batch = PRESETS[args.preset]
    vocab = args.vocab
    model = GPT(vocab, block, n_layer, n_head, n_embd).to(dev)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=1e-3, betas=(0.9, 0.99),
    )
    data = torch.randint(0, vocab, (200_000,), device=dev)

    def step():
        ix = torch.randint(len(data) - block - 1, (batch,)).tolist()
        x = torch.stack([data[i:i + block] for i in ix])
        y = torch.stack([data[i + 1:i + 1 + block] for i in ix])
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    for _ in range(5):
        step()
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    # The losses are read back once at the end, as `gpt bench` reads a chunk's losses at once.
    losses = [step().detach() for _ in range(args.iters)]
    torch.stack(losses).cpu()
    sync()
    secs = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters())
    tps = args.iters * batch * block / secs
    where = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"{args.threads} threads"
    print(f"pytorch {torch.__version__}, {where}, preset {args.preset}, {params} parameters")
    print(f"pytorch: {secs * 1000 / args.iters:.1f} ms/iteration, {tps:.0f} tokens/s")
    print(f"REF_TRAIN_TOKENS_PER_SEC={tps:.1f}")


if __name__ == "__main__":
    main()
