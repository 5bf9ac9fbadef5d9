//! Pre-tokenisation: cutting text into chunks before BPE looks at it.
//!
//! BPE merges frequent neighbours. Left alone on raw text it would happily
//! learn tokens like `"e t"` (end of "the", space, start of "tree") or `"g."`,
//! wasting vocabulary on accidents of word order. GPT-2 therefore first splits
//! text into chunks with a regular expression, and merges never cross a chunk
//! boundary. Two rule sets are written here by hand (no regex engine):
//!
//! **This playground's** ([`Pretokenizer::Playground`], what its tokenizers train with):
//!
//! * an optional single leading space, then a run of **letters** (`" cat"`, `"私は学生です"`),
//! * or an optional single leading space, then a run of **digits** (`" 2024"`),
//! * or an optional single leading space, then a run of **other symbols** (`"!?"`, `" —"`),
//! * or a run of **whitespace** (`"\n\n"`); when it is followed by a word and
//!   ends in a space, that last space is left to the word, so `"a  b"` gives
//!   `"a"`, `" "`, `" b"` and `" b"` is the same token as in `"a b"`.
//!
//! It does not split English contractions (`'s`, `'ll`, …) out specially;
//! `"don't"` becomes `"don"`, `"'"`, `"t"`.
//!
//! **GPT-2's** ([`Pretokenizer::Gpt2`], for GPT-2's own vocabulary), exactly its expression
//! `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`:
//! the same three runs, but letters are the Unicode category L (no combining vowel signs,
//! unlike Rust's `is_alphabetic`), the seven contractions come first (`"don't"` is `"don"`,
//! `"'t"`), and a whitespace run followed by a word leaves its last character of *any* kind to
//! it (`"\n\nHi"` gives `"\n"`, `"\n"`, `"Hi"`).
//!
//! The chunks tile the text exactly, so token spans can be computed from them.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// Which rules cut text into chunks (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pretokenizer {
    /// This playground's rules: no contractions, letters are `Alphabetic`.
    #[default]
    Playground,
    /// GPT-2's regular expression, contractions included.
    Gpt2,
}

/// GPT-2's contractions, in the order its expression tries them.
const CONTRACTIONS: [&str; 7] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

/// The four kinds of character that decide where chunks end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CharClass {
    Letter,
    Digit,
    Space,
    Other,
}

/// Classify a character with Unicode-aware predicates, so kana, kanji,
/// Cyrillic… count as letters just like `a`–`z`. GPT-2's letters are the
/// general category L; this playground's are the wider `Alphabetic`.
fn class_of(ch: char, rules: Pretokenizer) -> CharClass {
    let letter = match rules {
        Pretokenizer::Playground => ch.is_alphabetic(),
        Pretokenizer::Gpt2 => ch.general_category_group() == GeneralCategoryGroup::Letter,
    };
    if letter {
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
    rules: Pretokenizer,
    /// Byte offset where the next chunk starts; always on a character boundary.
    pos: usize,
}

/// Split `text` into pre-tokenisation chunks (byte ranges that tile `text`).
pub(crate) fn chunks(text: &str, rules: Pretokenizer) -> Chunks<'_> {
    Chunks {
        text,
        rules,
        pos: 0,
    }
}

impl Iterator for Chunks<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let start = self.pos;
        let rest = self.text.get(start..)?;
        if self.rules == Pretokenizer::Gpt2
            && let Some(c) = CONTRACTIONS.iter().find(|c| rest.starts_with(*c))
        {
            self.pos = start + c.len();
            return Some(start..self.pos);
        }
        let class = |ch| class_of(ch, self.rules);
        let mut chars = rest.chars();
        let first = chars.next()?;
        let second = chars.next();
        let len = match (class(first), second.map(class)) {
            // A single space right before a word belongs to the word: " cat"
            // is one chunk, so BPE can learn " cat" (with its space) as one token.
            (CharClass::Space, Some(next)) if first == ' ' && next != CharClass::Space => {
                1 + run_len(&rest[1..], next, self.rules)
            }
            (CharClass::Space, _) => whitespace_len(rest, self.rules),
            (c, _) => run_len(rest, c, self.rules),
        };
        self.pos = start + len;
        Some(start..self.pos)
    }
}

/// Length in bytes of the run of characters of `class` at the start of `s`.
fn run_len(s: &str, class: CharClass, rules: Pretokenizer) -> usize {
    s.char_indices()
        .find(|&(_, ch)| class_of(ch, rules) != class)
        .map_or(s.len(), |(offset, _)| offset)
}

/// Length in bytes of the whitespace chunk at the start of `s`.
fn whitespace_len(s: &str, rules: Pretokenizer) -> usize {
    let len = run_len(s, CharClass::Space, rules);
    let followed_by_word = len < s.len();
    // The last whitespace character of the run, if the run has more than one.
    let last = s[..len]
        .char_indices()
        .next_back()
        .filter(|&(at, _)| at > 0);
    match (rules, last) {
        // Leave the final space to the following word (GPT-2's `\s+(?!\S)`), but
        // never shrink the chunk to nothing.
        (Pretokenizer::Playground, Some((at, ' '))) if followed_by_word => at,
        // GPT-2's `\s+(?!\S)` backs off one character of any kind before a word.
        (Pretokenizer::Gpt2, Some((at, _))) if followed_by_word => at,
        _ => len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        chunks(text, Pretokenizer::Playground)
            .map(|r| &text[r])
            .collect()
    }

    fn gpt2(text: &str) -> Vec<&str> {
        chunks(text, Pretokenizer::Gpt2).map(|r| &text[r]).collect()
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
        let texts = [
            "",
            " ",
            "a",
            "\t\t",
            "ab  cd\n\n  ef!!",
            "日本語 text 123",
            "x's \t'll",
        ];
        for (text, rules) in texts
            .into_iter()
            .flat_map(|t| [(t, Pretokenizer::Playground), (t, Pretokenizer::Gpt2)])
        {
            let mut end = 0;
            for range in chunks(text, rules) {
                assert_eq!(range.start, end);
                assert!(range.end > range.start, "empty chunk in {text:?}");
                end = range.end;
            }
            assert_eq!(end, text.len());
        }
    }

    #[test]
    fn gpt2_rules_split_contractions_and_give_back_any_whitespace() {
        assert_eq!(
            gpt2("Hello, world!  How are you?\n\nI'm 42."),
            vec![
                "Hello", ",", " world", "!", " ", " How", " are", " you", "?", "\n", "\n", "I",
                "'m", " 42", "."
            ]
        );
        // All seven contractions, case-sensitive; others fall to the symbol run.
        assert_eq!(
            gpt2("it's don't we're you've I'm we'll he'd IT'S o'clock"),
            vec![
                "it", "'s", " don", "'t", " we", "'re", " you", "'ve", " I", "'m", " we", "'ll",
                " he", "'d", " IT", "'", "S", " o", "'", "clock"
            ]
        );
        // A symbol run swallows an apostrophe, so no contraction follows it.
        assert_eq!(gpt2("!'s"), vec!["!'", "s"]);
        // Whitespace before a word leaves its last character, whatever it is, to the word's
        // side (a lone one is its own chunk); at the end of the text it stays whole.
        assert_eq!(gpt2("a\t\tb"), vec!["a", "\t", "\t", "b"]);
        assert_eq!(gpt2("a \tb"), vec!["a", " ", "\t", "b"]);
        assert_eq!(gpt2("a  b  "), vec!["a", " ", " b", "  "]);
        assert_eq!(gpt2(" 12 !?"), vec![" 12", " !?"]);
    }

    #[test]
    fn gpt2_letters_are_category_l() {
        // U+093E (Devanagari vowel sign AA) is Alphabetic but a mark (Mc), not a letter:
        // GPT-2 cuts before it, the playground's rules do not.
        assert_eq!(gpt2("नमा"), vec!["नम", "\u{93e}"]);
        assert_eq!(split("नमा"), vec!["नमा"]);
        // Roman numeral twelve (Nl) is a number to GPT-2 and a letter to `is_alphabetic`.
        assert_eq!(gpt2("x\u{216b}"), vec!["x", "\u{216b}"]);
        assert_eq!(gpt2("私は学生です。"), vec!["私は学生です", "。"]);
    }
}
