//! The facade in a real browser (`wasm-pack test --headless --chrome --release crates/gpt-wasm`):
//! errors reach JS with specific messages, spans are JS string indices, training lowers the loss
//! on the CPU and on WebGPU, generation streams, and save -> load gives identical logits.
#![cfg(target_arch = "wasm32")]

use gpt_wasm::Session;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CORPUS: &str = include_str!("../../gpt/tests/fixtures/tutorial.txt");

fn js(value: Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).expect("valid JSON")
}

fn rust(value: JsValue) -> Value {
    serde_wasm_bindgen::from_value(value).expect("plain data")
}

fn message(err: JsError) -> String {
    js_sys::Error::from(JsValue::from(err))
        .message()
        .as_string()
        .unwrap_or_default()
}

async fn session(extra: Value) -> Session {
    let mut options = json!({"corpus": CORPUS, "preset": "tiny", "seed": 7});
    if let (Some(o), Some(e)) = (options.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    match Session::create(js(options)).await {
        Ok(s) => s,
        Err(e) => panic!("create failed: {}", message(e)),
    }
}

async fn create_error(options: Value) -> String {
    match Session::create(js(options.clone())).await {
        Ok(_) => panic!(
            "expected an error for {}",
            options.to_string().chars().take(100).collect::<String>()
        ),
        Err(e) => message(e),
    }
}

fn mean(xs: &[Value]) -> f64 {
    xs.iter().filter_map(Value::as_f64).sum::<f64>() / xs.len() as f64
}

#[wasm_bindgen_test]
async fn bad_options_give_specific_errors() {
    let empty = create_error(json!({"corpus": "   "})).await;
    assert!(empty.contains("corpus is empty"), "{empty}");
    let short = create_error(json!({"corpus": "abc abc abc", "preset": "tiny"})).await;
    assert!(short.contains("too short"), "{short}");
    let heads = create_error(json!({"corpus": CORPUS, "model": {"nHead": 3, "nEmbd": 32}})).await;
    assert!(heads.contains("invalid model configuration"), "{heads}");
    let preset = create_error(json!({"corpus": CORPUS, "preset": "huge"})).await;
    assert!(preset.contains("unknown preset"), "{preset}");
    let typo = create_error(json!({"corpus": CORPUS, "presett": "tiny"})).await;
    assert!(typo.contains("invalid session options"), "{typo}");
    let binary = create_error(json!({"corpus": "text\u{0}with a NUL byte"})).await;
    assert!(binary.contains("binary"), "{binary}");
    let vocab = create_error(json!({"corpus": CORPUS, "tokenizer": "bpe", "vocabSize": 10})).await;
    assert!(vocab.contains("vocab"), "{vocab}");
}

#[wasm_bindgen_test]
async fn spans_are_js_string_indices() {
    let text = "私は学生です 😀 ok";
    let corpus = format!("{CORPUS}{text}");
    let s = session(json!({"corpus": corpus})).await;
    let out = rust(s.tokenize(text).map_err(message).expect("tokenize"));
    let spans = out["spans"].as_array().expect("spans");
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut rebuilt = String::new();
    for span in spans {
        let (a, b) = (
            span[0].as_u64().unwrap() as usize,
            span[1].as_u64().unwrap() as usize,
        );
        rebuilt.push_str(&String::from_utf16_lossy(&units[a..b]));
    }
    assert_eq!(rebuilt, text);
    assert_eq!(
        spans.len(),
        text.chars().count(),
        "char-level: one token per character"
    );
    let unknown = s
        .tokenize("\u{2603}")
        .map_err(message)
        .expect_err("snowman is not in the corpus");
    assert!(unknown.contains('\u{2603}'), "{unknown}");
}

#[wasm_bindgen_test]
async fn cpu_training_lowers_the_loss_and_generation_streams() {
    let mut s = session(json!({"training": {"steps": 60}})).await;
    let before = rust(s.evaluate().await.map_err(message).expect("evaluate"));
    let report = rust(s.train(60).await.map_err(message).expect("train"));
    let losses = report["losses"].as_array().expect("losses");
    assert_eq!(losses.len(), 60);
    assert_eq!(report["step"], 60);
    let after = rust(s.evaluate().await.map_err(message).expect("evaluate"));
    let (b, a) = (
        before["val"].as_f64().unwrap(),
        after["val"].as_f64().unwrap(),
    );
    assert!(a < b - 0.3, "validation loss {b} -> {a}");
    assert!(mean(&losses[50..]) < mean(&losses[..10]));

    let first = rust(
        s.start_generation("The ", js(json!({"temperature": 0.8, "seed": 3})))
            .await
            .map_err(message)
            .expect("start"),
    );
    let first = first.as_array().expect("candidates");
    assert_eq!(first.len(), 10);
    let mut text = String::new();
    for i in 0..20 {
        let forced = (i == 5).then_some(first[1]["id"].as_u64().unwrap() as u32);
        let t = rust(s.next_token(forced).await.map_err(message).expect("next"));
        let probs: Vec<f64> = t["next"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["probability"].as_f64().unwrap())
            .collect();
        assert!(probs.windows(2).all(|w| w[0] >= w[1]), "candidates sorted");
        assert!(probs.iter().sum::<f64>() <= 1.0 + 1e-4);
        if let Some(f) = forced {
            assert_eq!(t["id"].as_u64(), Some(u64::from(f)));
            assert_eq!(t["forced"], true);
        }
        text = t["text"].as_str().unwrap().to_string();
    }
    assert_eq!(text.chars().count(), 20);
    let bad = s
        .next_token(Some(100_000))
        .await
        .map_err(message)
        .expect_err("out of range");
    assert!(bad.contains("cannot force token"), "{bad}");
}

#[wasm_bindgen_test]
async fn save_then_load_gives_identical_logits() {
    let mut s = session(json!({})).await;
    s.train(10).await.map_err(message).expect("train");
    let bytes = s.save().await.map_err(message).expect("save");
    let loaded = Session::load(bytes.clone(), JsValue::UNDEFINED)
        .await
        .map_err(message)
        .expect("load");
    assert_eq!(loaded.step(), 10);
    let a = rust(
        s.inspect("the model")
            .await
            .map_err(message)
            .expect("inspect"),
    );
    let b = rust(
        loaded
            .inspect("the model")
            .await
            .map_err(message)
            .expect("inspect"),
    );
    assert_eq!(a["logits"], b["logits"]);
    let mut corrupt = bytes;
    corrupt.truncate(corrupt.len() / 2);
    let err = match Session::load(corrupt, JsValue::UNDEFINED).await {
        Ok(_) => panic!("a truncated file must not load"),
        Err(e) => message(e),
    };
    assert!(err.contains("cannot load checkpoint"), "{err}");
    let mut untrainable = loaded;
    let no_corpus = untrainable
        .train(1)
        .await
        .map_err(message)
        .expect_err("no corpus");
    assert!(no_corpus.contains("without a corpus"), "{no_corpus}");
    // The same model through a Hugging Face folder (exportHf -> importHf): the same logits, and
    // the folder's files as JS objects; a folder without config.json is refused by name.
    let files = s.export_hf().await.map_err(message).expect("exportHf");
    let name = |f: &JsValue| {
        js_sys::Reflect::get(f, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default()
    };
    let names: Vec<String> = js_sys::Array::from(&files)
        .iter()
        .map(|f| name(&f))
        .collect();
    assert!(names.contains(&"config.json".into()) && names.contains(&"tokenizer.json".into()));
    let imported = Session::import_hf(files.clone(), JsValue::UNDEFINED)
        .await
        .map_err(message)
        .expect("importHf");
    let c = rust(
        imported
            .inspect("the model")
            .await
            .map_err(message)
            .expect("inspect"),
    );
    assert_eq!(a["logits"], c["logits"]);
    let partial = js_sys::Array::from(&files).filter(&mut |f, _, _| name(&f) != "config.json");
    let err = match Session::import_hf(partial.into(), JsValue::UNDEFINED).await {
        Ok(_) => panic!("a folder without config.json must not import"),
        Err(e) => message(e),
    };
    assert!(err.contains("no config.json"), "{err}");
}

/// The fused CPU kernels compiled to wasm32 (SIMD128) agree with their references, forward and
/// backward, as they do natively.
#[wasm_bindgen_test]
async fn fused_ops_match_their_references_in_wasm() {
    let report = gpt::ops::self_check::compare_with_references(&gpt::device::cpu())
        .await
        .expect("compare");
    // GELU 2, LayerNorm 4, attention 18, cross-entropy 2, linear 8 (flex only), AdamW 3
    // (ops::self_check).
    assert_eq!(report.len(), 37);
    let failed: Vec<_> = report.iter().filter(|c| !c.passed()).collect();
    assert!(failed.is_empty(), "{failed:?}");
}

/// Whether this browser gives a WebGPU adapter (Chromium with `--enable-unsafe-webgpu` does,
/// SwiftShader in headless mode; Firefox on Linux and Chrome without the flag do not).
async fn has_webgpu_adapter() -> bool {
    let gpu = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"gpu".into()))
        .unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return false;
    }
    let request = js_sys::Reflect::get(&gpu, &"requestAdapter".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(&gpu).ok());
    let Some(promise) = request.and_then(|p| p.dyn_into::<js_sys::Promise>().ok()) else {
        return false;
    };
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .is_ok_and(|adapter| !adapter.is_null() && !adapter.is_undefined())
}

/// Where the browser has a WebGPU adapter, the fused ops' GPU kernels agree with the CPU's
/// references and a short run trains on it with the CPU's losses (SwiftShader in headless
/// Chromium: slow, so a short run). Where it has none, asking for WebGPU gives the facade's
/// specific error and the CPU path still trains: no skip either way.
#[wasm_bindgen_test]
async fn webgpu_training_lowers_the_loss_or_says_webgpu_is_missing() {
    if !has_webgpu_adapter().await {
        let err =
            create_error(json!({"corpus": CORPUS, "preset": "tiny", "device": "webgpu"})).await;
        assert!(
            err.contains("WebGPU is not available in this browser") && err.contains("use the CPU"),
            "{err}"
        );
        let mut s = session(json!({"device": "cpu"})).await;
        let report = rust(s.train(5).await.map_err(message).expect("train on the CPU"));
        let losses = report["losses"].as_array().expect("losses");
        assert_eq!(losses.len(), 5);
        assert!(
            losses
                .iter()
                .all(|l| l.as_f64().is_some_and(f64::is_finite))
        );
        return;
    }
    // The fused ops' GPU kernels against the CPU's references. Outside a Session, so the
    // module's start-up (static constructors, which burn's GPU compiler needs) runs first.
    gpt_wasm::start();
    let device = gpt_wasm::device::autodiff_device(gpt_wasm::device::Backend::Webgpu)
        .await
        .expect("the WebGPU device");
    let report = gpt::ops::self_check::compare_with_references(&device)
        .await
        .expect("compare on WebGPU");
    assert_eq!(report.len(), 29); // no linear: it has no GPU kernel
    let failed: Vec<_> = report.iter().filter(|c| !c.passed()).collect();
    assert!(failed.is_empty(), "{failed:?}");
    // The gate of the GPU path: 50 steps from the same weights and batches give the CPU's
    // losses within 1e-3.
    let mut s = session(json!({"device": "webgpu", "training": {"steps": 50}})).await;
    let info = rust(s.info().map_err(message).expect("info"));
    assert_eq!(info["device"], "webgpu");
    let report = rust(s.train(50).await.map_err(message).expect("train on WebGPU"));
    let losses = report["losses"].as_array().expect("losses");
    assert!(
        losses
            .iter()
            .all(|l| l.as_f64().is_some_and(f64::is_finite))
    );
    assert!(mean(&losses[45..]) < mean(&losses[..5]) - 0.2, "{losses:?}");
    let mut c = session(json!({"device": "cpu", "training": {"steps": 50}})).await;
    let on_cpu = rust(
        c.train(50)
            .await
            .map_err(message)
            .expect("train on the CPU"),
    );
    let on_cpu = on_cpu["losses"].as_array().expect("losses");
    assert_eq!(on_cpu.len(), losses.len());
    for (step, (a, b)) in losses.iter().zip(on_cpu).enumerate() {
        let (a, b) = (
            a.as_f64().unwrap_or(f64::NAN),
            b.as_f64().unwrap_or(f64::NAN),
        );
        assert!((a - b).abs() <= 1e-3, "step {step}: WebGPU {a}, CPU {b}");
    }
    let t = s
        .start_generation("The ", JsValue::UNDEFINED)
        .await
        .map_err(message)
        .expect("start");
    assert_eq!(rust(t).as_array().map(Vec::len), Some(10));
}

#[wasm_bindgen_test]
async fn fine_tuning_reports_unknown_chars_and_lowers_the_new_corpus_loss() {
    let mut s = session(json!({})).await;
    s.train(30).await.map_err(message).expect("pre-train");
    // "Q", "@" and "é" are not in the tutorial corpus: left out, listed, and counted.
    let dialogue = "Q: what is a token?\nA: a piece of text.\n@é\n".repeat(80);
    let done = rust(
        s.fine_tune(js(
            json!({"corpus": dialogue, "training": {"learningRate": 3e-3, "steps": 150}}),
        ))
        .map_err(message)
        .expect("fine-tune"),
    );
    let unknown: Vec<&str> = done["unknownChars"]
        .as_array()
        .expect("unknownChars")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(unknown.contains(&"@") && unknown.contains(&"é"), "{done}");
    assert!(done["droppedChars"].as_u64().unwrap_or(0) >= 160, "{done}");
    assert_eq!(done["step"], 30, "the step count carries on: {done}");
    let before = rust(s.evaluate().await.map_err(message).expect("eval"))["val"]
        .as_f64()
        .unwrap_or(f64::NAN);
    s.train(150)
        .await
        .map_err(message)
        .expect("fine-tune steps");
    let after = rust(s.evaluate().await.map_err(message).expect("eval"))["val"]
        .as_f64()
        .unwrap_or(f64::NAN);
    assert!(
        after < before - 0.5,
        "loss on the new corpus {before} -> {after}"
    );
    let empty = s
        .fine_tune(js(json!({"corpus": " "})))
        .map(|_| ())
        .map_err(message);
    assert!(empty.is_err_and(|m| m.contains("fine-tuning corpus is empty")));
}

#[wasm_bindgen_test]
async fn embeddings_tokenizers_and_reference_models() {
    let s = session(json!({})).await;
    let e = rust(s.embeddings().await.map_err(message).expect("embeddings"));
    let (v, c, t) = (
        e["vocabSize"].as_u64(),
        e["nEmbd"].as_u64(),
        e["blockSize"].as_u64(),
    );
    let (v, c, t) = (
        v.unwrap_or(0) as usize,
        c.unwrap_or(0) as usize,
        t.unwrap_or(0) as usize,
    );
    assert_eq!(e["tokens"].as_array().map(Vec::len), Some(v));
    assert_eq!(e["tokenEmbedding"].as_array().map(Vec::len), Some(v * c));
    assert_eq!(e["positionEmbedding"].as_array().map(Vec::len), Some(t * c));

    let chars = gpt_wasm::TextTokenizer::new("char", CORPUS, 0)
        .map_err(message)
        .expect("char");
    let bpe = gpt_wasm::TextTokenizer::new("bpe", CORPUS, 300)
        .map_err(message)
        .expect("bpe");
    let text = "the model";
    let n = |t: &gpt_wasm::TextTokenizer| {
        rust(t.tokenize(text).map_err(message).expect("tokenize"))["ids"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!(n(&chars), text.len());
    assert!(n(&bpe) < text.len(), "BPE merges common pairs");
    assert!(bpe.unknown_chars("私").is_empty() && chars.unknown_chars("私") == ["私"]);
    let wrong = gpt_wasm::TextTokenizer::new("words", CORPUS, 0)
        .map(|_| ())
        .map_err(message);
    assert!(wrong.is_err_and(|m| m.contains("unknown tokenizer")));

    let refs = rust(
        gpt_wasm::scale::reference_models()
            .map_err(message)
            .expect("refs"),
    );
    let gpt3 = refs
        .as_array()
        .and_then(|r| r.iter().find(|m| m["name"] == "GPT-3 175B"))
        .and_then(|m| m["paramCount"].as_f64())
        .unwrap_or(0.0);
    assert!(
        (gpt3 / 175e9 - 1.0).abs() < 0.01,
        "GPT-3 175B counted {gpt3}"
    );
}

#[wasm_bindgen_test]
async fn a_snapshot_resumes_the_run_with_identical_steps() {
    let mut s = session(json!({"valFraction": 0.2})).await;
    s.train(8).await.map_err(message).expect("train");
    let snapshot = s.snapshot().await.map_err(message).expect("snapshot");
    // The uninterrupted run's next steps…
    let straight = rust(s.train(5).await.map_err(message).expect("train on"));
    // …are the resumed run's next steps, bit for bit (CPU).
    let mut resumed = Session::resume(snapshot.clone(), js(json!({"corpus": CORPUS})))
        .await
        .map_err(message)
        .expect("resume");
    assert_eq!(resumed.step(), 8);
    let info = rust(resumed.info().map_err(message).expect("info"));
    assert_eq!(info["preset"], "tiny");
    assert_eq!(info["trainable"], true);
    let again = rust(
        resumed
            .train(5)
            .await
            .map_err(message)
            .expect("train resumed"),
    );
    assert_eq!(again["losses"], straight["losses"]);
    assert_eq!(again["step"], 13);
    // A model file is not a run; a corpus the tokenizer cannot encode is refused by name.
    let model_file = s.save().await.map_err(message).expect("save");
    let err = match Session::resume(model_file, js(json!({"corpus": CORPUS}))).await {
        Ok(_) => panic!("a model file has no run to resume"),
        Err(e) => message(e),
    };
    assert!(err.contains("no training state"), "{err}");
    let err = match Session::resume(snapshot, js(json!({"corpus": "日本語のテキスト"}))).await
    {
        Ok(_) => panic!("the tokenizer cannot encode this corpus"),
        Err(e) => message(e),
    };
    assert!(err.contains("cannot resume on this corpus"), "{err}");
}
