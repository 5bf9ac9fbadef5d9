//! GPT-1, GPT-2 and GPT-3 shaped configurations with their parameter counts, computed by the same
//! `GptConfig::param_count` as the reader's own model.

use gpt::config::GptConfig;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::to_js;

/// One reference model as the page sees it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Reference {
    name: &'static str,
    family: &'static str,
    config: GptConfig,
    /// Computed from `config`.
    param_count: u64,
    /// What the paper reports.
    reported_params: u64,
}

/// The reference models, smallest first within each family.
#[wasm_bindgen(js_name = referenceModels, unchecked_return_type = "ReferenceModel[]")]
pub fn reference_models() -> Result<JsValue, JsError> {
    let models: Vec<Reference> = GptConfig::reference_models()
        .into_iter()
        .map(|m| Reference {
            name: m.name,
            family: m.family,
            param_count: m.config.param_count(),
            config: m.config,
            reported_params: m.reported_params,
        })
        .collect();
    to_js(&models)
}
