//! cargo-fuzz target: raw-text mutations of the models in `examples/` and `tests/`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let seeds = shapegrad_fuzz::seeds::embedded();
    let mut u = arbitrary::Unstructured::new(data);
    if let Ok(src) = shapegrad_fuzz::mutate::mutate(&seeds, &mut u) {
        if let Err(e) = shapegrad_fuzz::check(&src) {
            panic!("{e}\n--- input ---\n{src}");
        }
    }
});
