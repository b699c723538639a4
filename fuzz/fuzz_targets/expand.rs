//! cargo-fuzz target: models generated from the fuzzer's bytes, random (`gen`) or well-typed
//! (`typed`), chosen by the first byte.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let mut u = arbitrary::Unstructured::new(rest);
    let src = if first % 2 == 0 {
        shapegrad_fuzz::gen::model_source(&mut u)
    } else {
        shapegrad_fuzz::typed::model_source(&mut u)
    };
    if let Ok(src) = src {
        if let Err(e) = shapegrad_fuzz::check(&src) {
            panic!("{e}\n--- input ---\n{src}");
        }
    }
});
