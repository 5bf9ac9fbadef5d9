//! Tests of the tokenizers through their public API: round trips, spans,
//! compression, saving/loading and every error.

use std::sync::LazyLock;
use std::time::Instant;

use gpt::tokenizer::{
    MAX_VOCAB_SIZE, MIN_BPE_VOCAB_SIZE, Tokenizer, TokenizerError, TokenizerKind,
};
use proptest::prelude::*;

/// A few paragraphs of English, the main training corpus of these tests.
const ENGLISH: &str = "\
A language model reads text as a sequence of tokens and learns to predict the next token. \
Before it can do that, the text has to be cut into pieces, and each piece has to be given a \
number. That is the job of the tokenizer. The model never sees the letters themselves: it sees \
the numbers, looks each one up in a table of vectors, and works with the vectors from then on.

The simplest tokenizer gives every character its own number. The vocabulary is then tiny, \
perhaps sixty or seventy characters for an English book, and the model is small. The price is \
that the model has to predict the text one character at a time, so a sentence of a hundred \
characters takes a hundred steps, and the model must spend much of its capacity learning how \
to spell the words before it can learn what the words mean.

Byte pair encoding is a better compromise. It starts from the bytes of the text, which can \
represent any string at all, and then it looks for the pair of neighbouring tokens that occurs \
most often in the training text. That pair becomes a new token. Then it looks again, and again, \
until the vocabulary has the size that was asked for. Common words such as the, and, of and to \
quickly become single tokens, and so do common pieces of words such as ing and tion. Rare words \
are still spelled out from smaller pieces, so nothing is ever lost.

The order of the merges matters. When the tokenizer encodes new text, it applies the merges in \
the same order in which they were learned, so that the text is cut into pieces in the same way \
as the training text was. The list of merges is therefore all that needs to be saved: the bytes \
of every token can be worked out again from it when the tokenizer is loaded.

GPT-2 used a vocabulary of 50257 tokens: the 256 bytes, 50000 merges and one special token that \
marks the end of a text. Our models are much smaller, so a vocabulary of a few hundred or a few \
thousand tokens is plenty. The smaller the vocabulary, the smaller the embedding table and the \
output layer of the model, and the faster it trains on a laptop or in a web browser.

There is one more detail. Before counting pairs, the text is split into chunks: words with the \
space in front of them, runs of digits, runs of punctuation and runs of white space. Merges \
never cross the border between two chunks. Without this rule the tokenizer would waste its \
vocabulary on pieces like the end of one word glued to the start of the next, which are not \
useful anywhere else. With it, the tokens tend to look like words and parts of words, and a \
person who reads the list of tokens can often guess what the model has learned about the text.

Decoding is the easy direction. Each token id is looked up in the vocabulary, the bytes of the \
tokens are written one after the other, and the result is read as text again. Because a single \
character of Japanese or an emoji takes several bytes, a token may hold only part of a character. \
On its own such a token is not text at all, so a tool that shows the tokens to a person prints \
its bytes in hexadecimal instead. Put back next to its neighbours, the character is whole again.

When the model writes text, it produces one token at a time. It turns its output into a \
probability for every token of the vocabulary, picks one of them, appends it to the text and \
runs again. The tokenizer decides what the model can say in one step: with a character \
vocabulary a word takes many steps, and with a larger vocabulary of merges the same word may \
take only one or two. That is why the choice of tokenizer changes how fast a model learns and \
how long a context it can see.
";

/// A little Japanese, so the BPE learns some merges inside multi-byte characters.
const JAPANESE: &str = "\
私は学生です。東京の大学で言語モデルを勉強しています。\
言語モデルは文章を読んで、次の言葉を予測します。\
私は毎日日本語の文章を読みます。学生は大学で勉強します。\
";

/// BPE trained on English + Japanese, shared by the tests (training once keeps them fast).
static BPE: LazyLock<Tokenizer> = LazyLock::new(|| {
    let corpus = format!("{ENGLISH}\n{JAPANESE}\n{JAPANESE}");
    Tokenizer::train_bpe(&corpus, 512).expect("training on the test corpus works")
});

/// BPE trained on English only: Japanese text is then pure byte fallback.
static BPE_ENGLISH: LazyLock<Tokenizer> =
    LazyLock::new(|| Tokenizer::train_bpe(ENGLISH, 512).expect("training works"));

/// Character-level tokenizer trained on English only.
static CHAR: LazyLock<Tokenizer> =
    LazyLock::new(|| Tokenizer::train_char(ENGLISH).expect("training works"));

/// The characters of the char-level vocabulary, in id order.
fn char_vocab() -> Vec<char> {
    (0..CHAR.vocab_size() as u32)
        .map(|id| {
            let bytes = CHAR.token_bytes(id).expect("id in range");
            let text = String::from_utf8(bytes).expect("a char token is UTF-8");
            text.chars().next().expect("a char token is one char")
        })
        .collect()
}

/// Check that the encoding of `text` tiles it exactly and that every token's
/// span, bytes and readable form agree.
fn assert_spans_tile(tokenizer: &Tokenizer, text: &str) {
    let encoding = tokenizer.encode(text).expect("encodable text");
    assert_eq!(encoding.ids.len(), encoding.spans.len());
    assert_eq!(encoding.ids.len(), encoding.tokens.len());
    let mut end = 0;
    for ((&id, span), token) in encoding
        .ids
        .iter()
        .zip(&encoding.spans)
        .zip(&encoding.tokens)
    {
        assert_eq!(span.start, end, "spans must be contiguous in {text:?}");
        assert!(span.end > span.start, "empty span in {text:?}");
        end = span.end;
        assert_eq!(
            &text.as_bytes()[span.clone()],
            tokenizer
                .token_bytes(id)
                .expect("encoded ids exist")
                .as_slice()
        );
        assert_eq!(token, &tokenizer.token_display(id));
    }
    assert_eq!(end, text.len(), "spans must cover the whole input");
    assert_eq!(encoding.ids, tokenizer.encode_ids(text).expect("encodable"));
}

/// True for the hex form of a partial character, like "<e7 a7>".
fn is_hex_form(token: &str) -> bool {
    let Some(inner) = token.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return false;
    };
    !inner.is_empty()
        && inner
            .split(' ')
            .all(|byte| byte.len() == 2 && byte.chars().all(|c| c.is_ascii_hexdigit()))
}

/// One character from a mix of scripts: ASCII, kana, kanji, emoji, combining marks, anything.
fn mixed_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::char::range(' ', '~'),
        1 => Just('\n'),
        2 => prop::char::range('\u{3041}', '\u{3096}'), // hiragana
        1 => prop::char::range('\u{30A1}', '\u{30FA}'), // katakana
        2 => prop::char::range('\u{4E00}', '\u{9FFF}'), // kanji
        2 => prop::char::range('\u{1F300}', '\u{1FAFF}'), // emoji
        1 => prop::char::range('\u{0300}', '\u{036F}'), // combining marks
        1 => any::<char>(),
    ]
}

/// Text mixing random characters with words of the corpora, so that merged
/// tokens, byte fallbacks and partial characters all meet.
fn mixed_text() -> impl Strategy<Value = String> {
    let words: Vec<String> = ENGLISH
        .split_whitespace()
        .map(|w| format!(" {w}"))
        .chain(["私は", "学生", "です。", "言語モデル"].map(String::from))
        .collect();
    let piece = prop_oneof![
        mixed_char().prop_map(String::from),
        prop::sample::select(words),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn bpe_round_trips_mixed_scripts(text in mixed_text()) {
        let ids = BPE.encode_ids(&text).unwrap();
        prop_assert_eq!(BPE.decode(&ids).unwrap(), text.clone());
        prop_assert_eq!(BPE.decode_lossy(&ids), text);
    }

    #[test]
    fn bpe_round_trips_any_string(text in any::<String>()) {
        let ids = BPE.encode_ids(&text).unwrap();
        prop_assert_eq!(BPE.decode(&ids).unwrap(), text);
    }

    #[test]
    fn bpe_spans_tile_the_input(text in mixed_text()) {
        assert_spans_tile(&BPE, &text);
        assert_spans_tile(&BPE_ENGLISH, &text);
    }

    #[test]
    fn bpe_tokens_show_text_or_hex(text in mixed_text()) {
        let encoding = BPE.encode(&text).unwrap();
        for (span, token) in encoding.spans.iter().zip(&encoding.tokens) {
            match text.get(span.clone()) {
                // The span is whole characters: the token is shown as that text.
                Some(piece) => prop_assert_eq!(token.as_str(), piece),
                // The span cuts a character: the token is shown as hex bytes.
                None => prop_assert!(is_hex_form(token), "{:?}", token),
            }
        }
    }

    #[test]
    fn char_round_trips_corpus_characters(
        text in prop::collection::vec(prop::sample::select(char_vocab()), 0..100)
            .prop_map(String::from_iter)
    ) {
        let encoding = CHAR.encode(&text).unwrap();
        prop_assert_eq!(encoding.ids.len(), text.chars().count());
        prop_assert_eq!(CHAR.decode(&encoding.ids).unwrap(), text.clone());
        assert_spans_tile(&CHAR, &text);
    }

    #[test]
    fn char_unknown_char_reports_its_byte_offset(
        prefix in prop::collection::vec(prop::sample::select(char_vocab()), 0..30)
            .prop_map(String::from_iter),
        unknown in mixed_char().prop_filter("outside the vocabulary", |c| !char_vocab().contains(c)),
        suffix in mixed_text(),
    ) {
        let text = format!("{prefix}{unknown}{suffix}");
        let expected = TokenizerError::UnknownChar { ch: unknown, byte_offset: prefix.len() };
        prop_assert_eq!(CHAR.encode(&text), Err(expected.clone()));
        prop_assert_eq!(CHAR.encode_ids(&text), Err(expected));
    }
}

#[test]
fn bpe_compresses_its_training_corpus() {
    let tokens = BPE_ENGLISH.encode_ids(ENGLISH).unwrap().len();
    let ratio = tokens as f64 / ENGLISH.len() as f64;
    println!(
        "{} bytes -> {tokens} tokens ({ratio:.3} tokens per byte)",
        ENGLISH.len()
    );
    assert!(ENGLISH.len() > 3000, "the corpus should be a few KB");
    assert!(
        ratio < 0.6,
        "BPE should compress English well, got {ratio:.3}"
    );
    // Frequent words become single tokens, with their leading space.
    let encoding = BPE_ENGLISH.encode(" the model").unwrap();
    assert_eq!(encoding.tokens, vec![" the", " model"]);
}

#[test]
fn bpe_vocab_size_never_exceeds_the_request() {
    for requested in [MIN_BPE_VOCAB_SIZE, 300, 512, 1000, 20_000] {
        let tokenizer = Tokenizer::train_bpe(ENGLISH, requested).unwrap();
        assert!(tokenizer.vocab_size() <= requested);
        if requested <= 512 {
            // The corpus has plenty of repeated pairs for this many merges.
            assert_eq!(tokenizer.vocab_size(), requested);
        }
    }
    // A large request on a small corpus stops once no pair repeats.
    let small = Tokenizer::train_bpe("abc abc", 1000).unwrap();
    assert!(small.vocab_size() < 300, "{}", small.vocab_size());
    assert_eq!(
        small.decode(&small.encode_ids("abc abc").unwrap()).unwrap(),
        "abc abc"
    );
}

#[test]
fn bpe_japanese_round_trips_and_partial_characters_show_as_hex() {
    let text = "私は学生です";
    for tokenizer in [&*BPE, &*BPE_ENGLISH] {
        let encoding = tokenizer.encode(text).unwrap();
        assert_eq!(tokenizer.decode(&encoding.ids).unwrap(), text);
        assert_spans_tile(tokenizer, text);
    }
    // Never seen by the English tokenizer: 6 characters x 3 bytes, one byte token each.
    let encoding = BPE_ENGLISH.encode(text).unwrap();
    assert_eq!(encoding.ids.len(), 18);
    assert_eq!(&encoding.tokens[..3], &["<e7>", "<a7>", "<81>"]);
    assert!(encoding.tokens.iter().all(|t| is_hex_form(t)));
    // Learned by the mixed tokenizer: far fewer tokens, some of them whole characters.
    let encoding = BPE.encode(text).unwrap();
    assert!(encoding.ids.len() < 10, "{:?}", encoding.tokens);
    assert!(encoding.tokens.iter().any(|t| !is_hex_form(t)));
    // Decoding a prefix that stops inside 私 is an error, or U+FFFD when lossy.
    let bytes_of_watashi = BPE_ENGLISH.encode_ids("私").unwrap();
    assert_eq!(
        BPE_ENGLISH.decode(&bytes_of_watashi[..2]),
        Err(TokenizerError::InvalidUtf8)
    );
    assert_eq!(BPE_ENGLISH.decode_lossy(&bytes_of_watashi[..2]), "\u{FFFD}");
}

#[test]
fn emoji_and_combining_marks_round_trip() {
    for text in ["🙂👍🏽 fine", "e\u{301}te\u{301}", "👨‍👩‍👧", "\0\t\r\n", ""] {
        for tokenizer in [&*BPE, &*BPE_ENGLISH] {
            let ids = tokenizer.encode_ids(text).unwrap();
            assert_eq!(tokenizer.decode(&ids).unwrap(), text);
            assert_spans_tile(tokenizer, text);
        }
    }
}

#[test]
fn training_is_deterministic() {
    let corpus = format!("{ENGLISH}{JAPANESE}");
    let a = Tokenizer::train_bpe(&corpus, 700).unwrap();
    let b = Tokenizer::train_bpe(&corpus, 700).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_json(), b.to_json());
}

#[test]
fn save_and_load_give_an_equal_tokenizer() {
    let samples = [ENGLISH, JAPANESE, "unseen 🙂 text ✓ 12345", ""];
    for tokenizer in [&*BPE, &*BPE_ENGLISH, &*CHAR] {
        let json = tokenizer.to_json();
        let loaded = Tokenizer::from_json(&json).unwrap();
        assert_eq!(&loaded, tokenizer);
        assert_eq!(loaded.kind(), tokenizer.kind());
        assert_eq!(loaded.vocab_size(), tokenizer.vocab_size());
        assert_eq!(loaded.to_json(), json);
        for text in samples {
            assert_eq!(loaded.encode(text), tokenizer.encode(text));
        }
    }
    assert!(CHAR.to_json().starts_with(r#"{"kind":"char","vocab":""#));
    assert!(BPE.to_json().starts_with(r#"{"kind":"bpe","merges":[["#));
}

#[test]
fn corrupt_json_is_rejected() {
    let json = BPE.to_json();
    let truncated = &json[..json.len() / 2];
    let cases = [
        truncated,
        "",
        "not json",
        r#"{"kind":"word","vocab":"ab"}"#,
        r#"{"kind":"bpe"}"#,
        // Token 300 does not exist when merge 1 (token 257) is made.
        r#"{"kind":"bpe","merges":[[97,98],[256,300]]}"#,
        // The first merge cannot use token 256: it is the one being made.
        r#"{"kind":"bpe","merges":[[256,97]]}"#,
        r#"{"kind":"bpe","merges":[[97,98],[97,98]]}"#,
        r#"{"kind":"bpe","merges":[[97,-1]]}"#,
        r#"{"kind":"char","vocab":"abb"}"#,
        r#"{"kind":"char","vocab":"ba"}"#,
        r#"{"kind":"char","vocab":""}"#,
    ];
    for case in cases {
        match Tokenizer::from_json(case) {
            Err(TokenizerError::Corrupt(message)) => assert!(!message.is_empty()),
            other => panic!("{case:?} should be Corrupt, got {other:?}"),
        }
    }
    let message = Tokenizer::from_json(r#"{"kind":"char","vocab":"abb"}"#)
        .unwrap_err()
        .to_string();
    assert!(message.contains("appears twice"), "{message}");
}

#[test]
fn training_errors() {
    for kind in [TokenizerKind::Char, TokenizerKind::Bpe] {
        assert_eq!(
            Tokenizer::train(kind, "", 512),
            Err(TokenizerError::EmptyCorpus)
        );
    }
    assert_eq!(
        Tokenizer::train_bpe(ENGLISH, 256),
        Err(TokenizerError::VocabTooSmall {
            requested: 256,
            minimum: 257
        })
    );
    assert_eq!(
        Tokenizer::train_bpe(ENGLISH, MAX_VOCAB_SIZE + 1),
        Err(TokenizerError::VocabTooLarge {
            requested: MAX_VOCAB_SIZE + 1,
            maximum: MAX_VOCAB_SIZE
        })
    );
    // The BPE size is ignored for a char-level tokenizer.
    let char_level = Tokenizer::train(TokenizerKind::Char, "hello", 0).unwrap();
    assert_eq!(char_level.kind(), TokenizerKind::Char);
    assert_eq!(char_level.vocab_size(), 4);
    let bpe = Tokenizer::train(TokenizerKind::Bpe, ENGLISH, 300).unwrap();
    assert_eq!(bpe.kind(), TokenizerKind::Bpe);
    let message = TokenizerError::EmptyCorpus.to_string();
    assert!(message.contains("corpus is empty"));
}

#[test]
fn decoding_an_unknown_id_is_an_error() {
    for tokenizer in [&*BPE, &*CHAR] {
        let size = tokenizer.vocab_size();
        let bad = size as u32;
        assert_eq!(
            tokenizer.decode(&[0, bad]),
            Err(TokenizerError::UnknownId {
                id: bad,
                vocab_size: size
            })
        );
        assert_eq!(
            tokenizer.token_bytes(bad),
            Err(TokenizerError::UnknownId {
                id: bad,
                vocab_size: size
            })
        );
        assert_eq!(tokenizer.token_display(bad), format!("<unknown id {bad}>"));
        assert!(tokenizer.decode_lossy(&[bad, u32::MAX]) == "\u{FFFD}\u{FFFD}");
    }
}

/// About 1 MB of English-like text: words made of syllables with a Zipf-like
/// frequency, punctuation, numbers and paragraphs, from a fixed-seed generator.
fn synthetic_english(target_bytes: usize) -> String {
    const SYLLABLES: [&str; 24] = [
        "the", "an", "ing", "er", "on", "re", "at", "en", "st", "or", "al", "it", "ed", "ou", "is",
        "ar", "le", "mo", "de", "ti", "ca", "pro", "ex", "un",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        // xorshift64*: a tiny deterministic generator, good enough for test text.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let words: Vec<String> = (0..20_000)
        .map(|_| {
            let syllables = 1 + (next() % 4) as usize;
            (0..syllables)
                .map(|_| SYLLABLES[(next() % SYLLABLES.len() as u64) as usize])
                .collect()
        })
        .collect();
    let mut text = String::with_capacity(target_bytes + 100);
    let mut sentence_len = 0;
    while text.len() < target_bytes {
        // u^3 skews towards the front of the list, like real word frequencies.
        let u = (next() % 1_000_000) as f64 / 1_000_000.0;
        let word = &words[(u * u * u * words.len() as f64) as usize];
        if sentence_len == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                text.extend(first.to_uppercase());
                text.push_str(chars.as_str());
            }
        } else {
            text.push(' ');
            text.push_str(word);
        }
        sentence_len += 1;
        if next() % 50 == 0 {
            text.push_str(&format!(" {}", next() % 2000));
        }
        if sentence_len > 6 && next() % 8 == 0 {
            text.push_str(if next() % 5 == 0 { ",\n" } else { ". " });
            if next() % 6 == 0 {
                text.push('\n');
            }
            sentence_len = 0;
        }
    }
    text
}

#[test]
fn bpe_trains_one_megabyte_quickly() {
    let corpus = synthetic_english(1_000_000);
    let start = Instant::now();
    let tokenizer = Tokenizer::train_bpe(&corpus, 512).unwrap();
    let train_time = start.elapsed();
    let start = Instant::now();
    let ids = tokenizer.encode_ids(&corpus).unwrap();
    let encode_time = start.elapsed();
    println!(
        "BPE on {} bytes: trained to {} tokens in {train_time:.2?}, encoded to {} ids in {encode_time:.2?}",
        corpus.len(),
        tokenizer.vocab_size(),
        ids.len()
    );
    assert_eq!(tokenizer.vocab_size(), 512);
    assert_eq!(tokenizer.decode(&ids).unwrap(), corpus);
    // Generous so that a busy machine does not fail the test; a regression to
    // quadratic behaviour would still blow through it.
    let limit = if cfg!(debug_assertions) { 60.0 } else { 5.0 };
    assert!(
        train_time.as_secs_f64() < limit,
        "training took {train_time:.2?}"
    );
}
