//! The browser facade of the tiny GPT: a thin wasm-bindgen layer over the `gpt` crate.
//!
//! One stateful class, [`Session`], owns a tokenizer, a model, its trainer and a generation in
//! progress. Options and results cross the boundary as plain JS objects (read and written with
//! `serde-wasm-bindgen`); their TypeScript types are in [`typescript`]. Every failure becomes a JS
//! `Error` with a specific message through one conversion, [`convert::js_error`].
//!
//! The page never calls this directly: a Web Worker (`www/worker.js`) owns the session and talks
//! to the page by messages, so training never blocks painting.

pub mod checks;
pub mod convert;
pub mod device;
pub mod options;
pub mod scale;
pub mod session;
pub mod tokenizer;
pub mod typescript;

pub use session::Session;
pub use tokenizer::TextTokenizer;

use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated: run static constructors, and route Rust panics to
/// `console.error` keeping the message, so the worker can report a specific error instead of
/// "unreachable executed".
#[wasm_bindgen(start)]
pub fn start() {
    init_once();
}

/// Static constructors (the `inventory` registrations of burn's GPU compiler) must run exactly
/// once. If nothing in the module calls `__wasm_call_ctors`, wasm-ld treats the module as a
/// "command" and re-runs every constructor at the start of *every* exported function: each call
/// from JS then cost ~70 ms (measured: 79 ms per generated token of the tiny model), and the
/// re-registrations pile up. One explicit call turns that off.
pub(crate) fn init_once() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        #[cfg(target_family = "wasm")]
        // SAFETY: synthesised by wasm-ld; runs the constructors, and `Once` makes it happen once.
        unsafe {
            __wasm_call_ctors();
        }
        convert::install_panic_hook();
    });
}

#[cfg(target_family = "wasm")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Whether this build carries burn's WebGPU backend. The page loads the CPU-only build first
/// (`--no-default-features`) and a WebGPU one when WebGPU is chosen.
#[wasm_bindgen(js_name = hasWebGpu)]
pub fn has_webgpu() -> bool {
    cfg!(feature = "webgpu")
}
