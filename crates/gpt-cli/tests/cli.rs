//! The `gpt` binary end to end: train a tiny model, generate from it, refuse bad input clearly.

use std::path::PathBuf;
use std::process::{Command, Output};

fn gpt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gpt"))
        .args(args)
        .output()
        .expect("run gpt")
}

fn fixture() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../gpt/tests/fixtures/tutorial.txt");
    p.to_string_lossy().into_owned()
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("gpt-cli-test-{}-{name}", std::process::id()))
}

#[test]
fn train_then_generate() {
    let model = temp("model.safetensors");
    let m = model.to_string_lossy();
    let out = gpt(&[
        "train",
        "--corpus",
        &fixture(),
        "--preset",
        "tiny",
        "--iters",
        "20",
        "--eval-interval",
        "10",
        "--out",
        &m,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "train failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("val loss") && stdout.contains("tokens/s"),
        "{stdout}"
    );
    assert!(model.exists());

    let out = gpt(&[
        "generate", "--model", &m, "--prompt", "The", "--tokens", "30", "--seed", "3",
    ]);
    assert!(
        out.status.success(),
        "generate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("The") && text.chars().count() > 30,
        "{text}"
    );
    let again = gpt(&[
        "generate", "--model", &m, "--prompt", "The", "--tokens", "30", "--seed", "3",
    ]);
    assert_eq!(out.stdout, again.stdout, "same seed, same text");

    // A character the corpus never had is a clear error, not a silent drop.
    let out = gpt(&[
        "generate",
        "--model",
        &m,
        "--prompt",
        "Zebra 🦓",
        "--tokens",
        "5",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error:") && err.contains("vocabulary"),
        "{err}"
    );

    // A truncated checkpoint is refused with a message, not a panic.
    let bytes = std::fs::read(&model).expect("read model");
    let broken = temp("broken.safetensors");
    std::fs::write(&broken, &bytes[..bytes.len() / 3]).expect("write");
    let out = gpt(&[
        "generate",
        "--model",
        &broken.to_string_lossy(),
        "--tokens",
        "5",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("cannot load checkpoint"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let _ = std::fs::remove_file(model);
    let _ = std::fs::remove_file(broken);
}

/// Run `gpt train` on `corpus` with `preset`; it must fail: returns its stderr.
fn train_failure(corpus: &str, preset: &str) -> String {
    let out = gpt(&[
        "train", "--corpus", corpus, "--preset", preset, "--iters", "1",
    ]);
    assert!(
        !out.status.success(),
        "training on {corpus} with {preset} must fail"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_input_gives_specific_errors() {
    for (name, text, expected) in [
        ("empty.txt", "", "empty"),
        ("short.txt", "just a few words", "too short"),
    ] {
        let path = temp(name);
        std::fs::write(&path, text).expect("write");
        let err = train_failure(&path.to_string_lossy(), "tiny");
        assert!(err.contains(expected), "{err}");
        let _ = std::fs::remove_file(path);
    }
    let err = train_failure(&fixture(), "enormous");
    assert!(
        err.contains("unknown preset") && err.contains("baby"),
        "{err}"
    );
}
