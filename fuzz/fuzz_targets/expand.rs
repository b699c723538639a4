//! cargo-fuzz target: structured DSL models generated from the fuzzer's bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    if let Ok(src) = shapegrad_fuzz::gen::model_source(&mut u) {
        if let Err(e) = shapegrad_fuzz::check(&src) {
            panic!("{e}\n--- input ---\n{src}");
        }
    }
});
