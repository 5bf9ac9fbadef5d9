//! Pre-tokenisation: cutting text into chunks before BPE looks at it.
//!
//! BPE merges frequent neighbours. Left alone on raw text it would happily
//! learn tokens like `"e t"` (end of "the", space, start of "tree") or `"g."`,
//! wasting vocabulary on accidents of word order. GPT-2 therefore first splits
//! text into chunks with a regular expression, and merges never cross a chunk
//! boundary. We follow the same rules, written by hand (no regex crate):
//!
//! * an optional single leading space, then a run of **letters** (`" cat"`, `"私は学生です"`),
//! * or an optional single leading space, then a run of **digits** (`" 2024"`),
//! * or an optional single leading space, then a run of **other symbols** (`"!?"`, `" —"`),
//! * or a run of **whitespace** (`"\n\n"`); when it is followed by a word and
//!   ends in a space, that last space is left to the word, so `"a  b"` gives
//!   `"a"`, `" "`, `" b"` and `" b"` is the same token as in `"a b"`.
//!
//! Unlike GPT-2 we do not split English contractions (`'s`, `'ll`, …) out
//! specially; `"don't"` becomes `"don"`, `"'"`, `"t"`.
//!
//! The chunks tile the text exactly, so token spans can be computed from them.

use std::ops::Range;

/// The four kinds of character that decide where chunks end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CharClass {
    Letter,
    Digit,
    Space,
    Other,
}

/// Classify a character with Rust's Unicode-aware predicates, so kana, kanji,
/// Cyrillic… count as letters just like `a`–`z`.
fn class_of(ch: char) -> CharClass {
    if ch.is_alphabetic() {
        CharClass::Letter
    } else if ch.is_numeric() {
        CharClass::Digit
    } else if ch.is_whitespace() {
        CharClass::Space
    } else {
        CharClass::Other
    }
}

/// Iterator over the byte ranges of the chunks of a text; see the module docs.
pub(crate) struct Chunks<'a> {
    text: &'a str,
    /// Byte offset where the next chunk starts; always on a character boundary.
    pos: usize,
}

/// Split `text` into pre-tokenisation chunks (byte ranges that tile `text`).
pub(crate) fn chunks(text: &str) -> Chunks<'_> {
    Chunks { text, pos: 0 }
}

impl Iterator for Chunks<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let start = self.pos;
        let rest = self.text.get(start..)?;
        let mut chars = rest.chars();
        let first = chars.next()?;
        let second = chars.next();
        let len = match (class_of(first), second.map(class_of)) {
            // A single space right before a word belongs to the word: " cat"
            // is one chunk, so BPE can learn " cat" (with its space) as one token.
            (CharClass::Space, Some(next)) if first == ' ' && next != CharClass::Space => {
                1 + run_len(&rest[1..], next)
            }
            (CharClass::Space, _) => whitespace_len(rest),
            (class, _) => run_len(rest, class),
        };
        self.pos = start + len;
        Some(start..self.pos)
    }
}

/// Length in bytes of the run of characters of `class` at the start of `s`.
fn run_len(s: &str, class: CharClass) -> usize {
    s.char_indices()
        .find(|&(_, ch)| class_of(ch) != class)
        .map_or(s.len(), |(offset, _)| offset)
}

/// Length in bytes of the whitespace chunk at the start of `s`.
fn whitespace_len(s: &str) -> usize {
    let len = run_len(s, CharClass::Space);
    let followed_by_word = len < s.len();
    // Leave the final space to the following word (GPT-2's `\s+(?!\S)`), but
    // never shrink the chunk to nothing.
    if followed_by_word && len > 1 && s[..len].ends_with(' ') {
        len - 1
    } else {
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        chunks(text).map(|r| &text[r]).collect()
    }

    #[test]
    fn splits_like_gpt2() {
        assert_eq!(
            split("Hello, world!  How are you?\n\nI'm 42."),
            vec![
                "Hello", ",", " world", "!", " ", " How", " are", " you", "?", "\n\n", "I", "'",
                "m", " 42", "."
            ]
        );
        assert_eq!(split("  x"), vec![" ", " x"]);
        assert_eq!(split("x \n y "), vec!["x", " \n", " y", " "]);
        assert_eq!(split(" ...a1"), vec![" ...", "a", "1"]);
    }

    #[test]
    fn non_english_letters_are_letters() {
        assert_eq!(split("私は学生です。"), vec!["私は学生です", "。"]);
        assert_eq!(split("Привет мир"), vec!["Привет", " мир"]);
        // An emoji is a symbol; U+0301 (combining acute) is not alphabetic either.
        assert_eq!(split("hi 🙂e\u{301}"), vec!["hi", " 🙂", "e", "\u{301}"]);
    }

    #[test]
    fn chunks_tile_the_text() {
        for text in ["", " ", "a", "\t\t", "ab  cd\n\n  ef!!", "日本語 text 123"] {
            let mut end = 0;
            for range in chunks(text) {
                assert_eq!(range.start, end);
                assert!(range.end > range.start, "empty chunk in {text:?}");
                end = range.end;
            }
            assert_eq!(end, text.len());
        }
    }
}
