//! The one error conversion of the facade, and helpers that turn Rust values into JS ones.

use std::cell::RefCell;
use std::fmt::Display;

use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Every error the facade returns goes through here: a JS `Error` whose message is the
/// `gpt` crate's user-facing text.
pub fn js_error(error: impl Display) -> JsError {
    JsError::new(&error.to_string())
}

/// Serialize a result for JS: plain objects, arrays and numbers (u64 as a number, maps as objects).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).map_err(js_error)
}

/// Read a JS options object (`undefined` / `null` mean "all defaults").
///
/// It goes through `JSON.stringify` and `serde_json` rather than `serde-wasm-bindgen`, which
/// reads only the fields it knows and so would silently ignore a misspelt option.
pub fn from_js<T: serde::de::DeserializeOwned + Default>(
    value: JsValue,
    what: &str,
) -> Result<T, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    let json = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| JsError::new(&format!("invalid {what}: not a plain object")))?;
    serde_json::from_str(&json).map_err(|e| JsError::new(&format!("invalid {what}: {e}")))
}

/// Files from JS: an array of `{name: string, bytes: Uint8Array | ArrayBuffer}`.
pub fn files_from_js(value: &JsValue) -> Result<Vec<gpt::huggingface::File>, JsError> {
    let bad = || JsError::new("invalid files: expected an array of {name, bytes} objects");
    let array = value.dyn_ref::<js_sys::Array>().ok_or_else(bad)?;
    let mut files = Vec::with_capacity(array.length() as usize);
    for item in array.iter() {
        let name = js_sys::Reflect::get(&item, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .ok_or_else(bad)?;
        let bytes = js_sys::Reflect::get(&item, &"bytes".into()).map_err(|_| bad())?;
        let bytes = if bytes.is_instance_of::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(&bytes).to_vec()
        } else {
            bytes
                .dyn_into::<js_sys::Uint8Array>()
                .map_err(|_| bad())?
                .to_vec()
        };
        files.push(gpt::huggingface::File { name, bytes });
    }
    Ok(files)
}

/// Files to JS: an array of `{name: string, bytes: Uint8Array}`.
pub fn files_to_js(files: &[gpt::huggingface::File]) -> JsValue {
    let array = js_sys::Array::new();
    for file in files {
        let item = js_sys::Object::new();
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&item, &"name".into(), &file.name.as_str().into());
        let _ = js_sys::Reflect::set(
            &item,
            &"bytes".into(),
            &js_sys::Uint8Array::from(file.bytes.as_slice()),
        );
        array.push(&item);
    }
    array.into()
}

/// Convert byte offsets in `text` to UTF-16 code-unit offsets (what JS string indices count).
///
/// `byte_offsets` must be sorted ascending; an offset inside a multi-byte character (a byte-level
/// token that splits it) maps to the start of that character.
pub fn utf16_offsets(text: &str, byte_offsets: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(byte_offsets.len());
    let mut chars = text.char_indices().peekable();
    let mut units = 0;
    for &b in byte_offsets {
        while let Some(&(i, c)) = chars.peek() {
            if i + c.len_utf8() > b {
                break;
            }
            units += c.len_utf16();
            chars.next();
        }
        out.push(units);
    }
    out
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Record panic messages (and print them) so that a trap can be explained afterwards.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("internal error (a bug in the model code): {info}");
        web_log(&message);
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(message));
    }));
}

/// The message of the last panic, if any: the worker asks for it after a `RuntimeError`.
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow().clone())
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(s: &str);
}

fn web_log(message: &str) {
    #[cfg(target_family = "wasm")]
    console_error(message);
    #[cfg(not(target_family = "wasm"))]
    eprintln!("{message}");
}

#[cfg(test)]
mod tests {
    use super::utf16_offsets;

    #[test]
    fn offsets_count_utf16_units() {
        // "a" (1 byte, 1 unit), "私" (3 bytes, 1 unit), "😀" (4 bytes, 2 units), "b".
        let text = "a私😀b";
        assert_eq!(utf16_offsets(text, &[0, 1, 4, 8, 9]), vec![0, 1, 2, 4, 5]);
        // A byte-level token boundary inside "私" maps to the character's start.
        assert_eq!(utf16_offsets(text, &[2, 3]), vec![1, 1]);
    }
}
