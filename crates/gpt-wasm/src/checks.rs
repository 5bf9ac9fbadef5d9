//! The fused ops checked against their reference compositions inside this very module: what a
//! page (or a test) asks to learn that the kernels this browser runs (the relaxed-SIMD matrix
//! product among them, in `pkg/cpu-relaxed/`) agree with the readable model.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::{js_error, to_js};

/// One comparison as the page sees it (`gpt::ops::self_check::Comparison`).
#[derive(Serialize)]
struct Check {
    case: String,
    diff: f32,
    scale: f32,
    tolerance: f32,
    passed: bool,
}

/// Every fused op on the CPU (burn `flex` in this module) against its reference: outputs and
/// gradients on odd shapes (`ops::self_check`). Takes well under a second.
#[wasm_bindgen(js_name = checkFusedOps, unchecked_return_type = "FusedOpCheck[]")]
pub async fn check_fused_ops() -> Result<JsValue, JsError> {
    let report = gpt::ops::self_check::compare_with_references(&gpt::device::cpu())
        .await
        .map_err(js_error)?;
    let checks: Vec<Check> = report
        .into_iter()
        .map(|c| Check {
            passed: c.passed(),
            case: c.case,
            diff: c.diff,
            scale: c.scale,
            tolerance: c.tolerance,
        })
        .collect();
    to_js(&checks)
}
