//! Checkpoint tests: bit-exact round trips, and every kind of damaged or mismatched file gives
//! a clear error and leaves the model exactly as it was.

mod train_fixture;

use std::path::PathBuf;

use rand::{rngs::StdRng, Rng, SeedableRng};
use shapegrad_runtime::dfdx::tensor::Cpu;
use shapegrad_runtime::io::{
    from_bytes, load, load_optimizer, read_metadata, save, save_optimizer, save_with_metadata, to_bytes,
};
use shapegrad_runtime::optim::{Adam, Optimizer, Sgd};
use shapegrad_runtime::params::to_flat;
use shapegrad_runtime::Error;
use train_fixture::*;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("shapegrad-train-io-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Awkward values: signed zero, subnormals, extremes, a NaN, non-terminating fractions.
fn awkward() -> Vec<f64> {
    vec![
        std::f64::consts::PI,
        -0.0,
        1e-40,
        f32::MAX as f64,
        -1.0 / 3.0,
        f64::NAN,
        1e-310,
        -7.25,
        f64::MIN_POSITIVE,
        12345.678,
    ]
}

fn saved_bag_bytes() -> (Bag<f64, Cpu>, Vec<u8>) {
    let dev = Cpu::default();
    let m: Bag<f64, Cpu> = Bag::from_flat(&dev, &awkward());
    let bytes = to_bytes(&m, &[]).unwrap();
    (m, bytes)
}

/// A model with distinct values, to detect any partial load.
fn victim() -> Bag<f64, Cpu> {
    Bag::from_flat(
        &Cpu::default(),
        &(0..BAG_P).map(|i| 100.0 + i as f64).collect::<Vec<_>>(),
    )
}

#[test]
fn round_trip_is_bit_exact_for_f32_and_f64() {
    let dir = tmpdir("roundtrip");
    let dev = Cpu::default();
    let m64: Bag<f64, Cpu> = Bag::from_flat(&dev, &awkward());
    save(&m64, dir.join("m64.safetensors")).unwrap();
    let mut back = victim();
    load(&mut back, dir.join("m64.safetensors")).unwrap();
    assert_eq!(bits(&to_flat(&back)), bits(&to_flat(&m64)));

    let m32: Bag<f32, Cpu> = Bag::from_flat(&dev, &awkward());
    save(&m32, dir.join("nested/dir/m32.safetensors")).unwrap();
    let mut back32: Bag<f32, Cpu> = Bag::from_flat(&dev, &[0.5; BAG_P]);
    load(&mut back32, dir.join("nested/dir/m32.safetensors")).unwrap();
    let f32_bits = |m: &Bag<f32, Cpu>| -> Vec<u32> {
        [m.scale.as_vec(), m.head.w.as_vec(), m.head.b.as_vec()]
            .concat()
            .iter()
            .map(|x| x.to_bits())
            .collect()
    };
    assert_eq!(f32_bits(&back32), f32_bits(&m32));

    // Overwriting is atomic and leaves no temporary files behind.
    save(&back32, dir.join("nested/dir/m32.safetensors")).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.join("nested/dir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["m32.safetensors".to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn metadata_round_trips_and_reserved_keys_are_refused() {
    let dir = tmpdir("meta");
    let m = victim();
    save_with_metadata(
        &m,
        dir.join("c.safetensors"),
        &[("step", "1200"), ("note", "warm start")],
    )
    .unwrap();
    let meta = read_metadata(dir.join("c.safetensors")).unwrap();
    assert_eq!(meta.len(), 2);
    assert_eq!(meta["step"], "1200");
    assert!(save_with_metadata(&m, dir.join("d.safetensors"), &[("shapegrad.x", "1")]).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Loads `bytes` into a fresh victim; asserts an error and an untouched model; returns the text.
fn must_fail(bytes: &[u8]) -> Error {
    let mut m = victim();
    let before = bits(&to_flat(&m));
    let e = from_bytes(&mut m, bytes, "test.safetensors").expect_err("damaged file must not load");
    assert_eq!(bits(&to_flat(&m)), before, "model changed by a failed load: {e}");
    e
}

#[test]
fn truncated_files_fail_cleanly() {
    let (_, bytes) = saved_bag_bytes();
    for k in 0..8 {
        let cut = bytes.len() * k / 8;
        let e = must_fail(&bytes[..cut]);
        println!("truncated to {cut}/{}: {e}", bytes.len());
        assert!(e.to_string().contains("test.safetensors"), "{e}");
    }
    // One byte short and one byte long, too.
    must_fail(&bytes[..bytes.len() - 1]);
    must_fail(&[bytes.as_slice(), &[0]].concat());
}

#[test]
fn every_flipped_byte_is_detected() {
    let (_, bytes) = saved_bag_bytes();
    let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0xFF;
        let e = must_fail(&b).to_string();
        seen.insert(
            e.split(':')
                .nth(1)
                .unwrap_or("")
                .trim()
                .chars()
                .take(40)
                .collect::<String>(),
        );
        if i >= header_end {
            assert!(e.contains("checksum"), "data byte {i}: {e}");
        }
    }
    // Single-bit flips in the data section as well.
    for i in header_end..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            must_fail(&b);
        }
    }
    println!(
        "flipped each of {} bytes ({} header); error kinds: {seen:#?}",
        bytes.len(),
        header_end
    );
}

#[test]
fn renamed_missing_extra_and_wrong_shape_tensors_are_named() {
    let (_, bytes) = saved_bag_bytes();
    // Rename head.b -> head.c everywhere in the header (same length, so the file stays valid).
    let renamed = String::from_utf8_lossy(&bytes).into_owned();
    assert!(renamed.contains("head.b"));
    let renamed: Vec<u8> = {
        let mut b = bytes.clone();
        let pat = b"head.b";
        let mut i = 0;
        while i + pat.len() <= b.len() {
            if &b[i..i + pat.len()] == pat {
                b[i + 5] = b'c';
            }
            i += 1;
        }
        b
    };
    let e = must_fail(&renamed).to_string();
    println!("{e}");
    assert!(
        e.contains("no tensor `head.b`") && e.contains("head.c") && e.contains("[3]"),
        "{e}"
    );

    // A file written by a different layout: head.w transposed, plus an extra tensor.
    use safetensors::tensor::{Dtype, TensorView};
    let f = |n: usize| vec![0u8; n * 8];
    let (s, w, b, x) = (f(1), f(6), f(3), f(2));
    let wrong_shape = safetensors::serialize(
        vec![
            ("scale", TensorView::new(Dtype::F64, vec![], &s).unwrap()),
            ("head.w", TensorView::new(Dtype::F64, vec![3, 2], &w).unwrap()),
            ("head.b", TensorView::new(Dtype::F64, vec![3], &b).unwrap()),
        ],
        &None,
    )
    .unwrap();
    match must_fail(&wrong_shape) {
        Error::Shape {
            tensor,
            expected,
            found,
            context,
        } => {
            assert_eq!(
                (tensor.as_str(), expected.as_str(), found.as_str()),
                ("head.w", "[2, 3]", "[3, 2]")
            );
            assert!(context.contains("test.safetensors"));
            println!(
                "{}",
                Error::Shape {
                    tensor,
                    expected,
                    found,
                    context
                }
            );
        }
        e => panic!("expected a shape error, got {e}"),
    }
    let extra = safetensors::serialize(
        vec![
            ("scale", TensorView::new(Dtype::F64, vec![], &s).unwrap()),
            ("head.w", TensorView::new(Dtype::F64, vec![2, 3], &w).unwrap()),
            ("head.b", TensorView::new(Dtype::F64, vec![3], &b).unwrap()),
            ("head.extra", TensorView::new(Dtype::F64, vec![2], &x).unwrap()),
        ],
        &None,
    )
    .unwrap();
    let e = must_fail(&extra).to_string();
    assert!(e.contains("head.extra"), "{e}");
    // The same file without the extra tensor and without checksums (another tool's file) loads.
    let plain = safetensors::serialize(
        vec![
            ("scale", TensorView::new(Dtype::F64, vec![], &s).unwrap()),
            ("head.w", TensorView::new(Dtype::F64, vec![2, 3], &w).unwrap()),
            ("head.b", TensorView::new(Dtype::F64, vec![3], &b).unwrap()),
        ],
        &None,
    )
    .unwrap();
    let mut m = victim();
    from_bytes(&mut m, &plain, "plain").unwrap();
    assert_eq!(to_flat(&m), vec![0.0; BAG_P]);
}

#[test]
fn dtype_mismatch_is_named() {
    let dev = Cpu::default();
    let m32: Bag<f32, Cpu> = Bag::from_flat(&dev, &[1.0; BAG_P]);
    let bytes = to_bytes(&m32, &[]).unwrap();
    let e = must_fail(&bytes).to_string();
    assert!(
        e.contains("F32") && e.contains("F64") && e.contains("`scale`"),
        "{e}"
    );
}

#[test]
fn garbage_and_random_damage_never_panic() {
    let (orig, bytes) = saved_bag_bytes();
    let mut rng = StdRng::seed_from_u64(42);
    for n in [0usize, 1, 7, 8, 9, 64, 1000] {
        let junk: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
        must_fail(&junk);
    }
    // A header length pointing far beyond the file, and plausible-looking JSON with absurd
    // shapes and offsets.
    must_fail(&u64::MAX.to_le_bytes());
    for header in [
        r#"{"a":{"dtype":"F64","shape":[18446744073709551615,2],"data_offsets":[0,16]}}"#,
        r#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,18446744073709551615]}}"#,
        r#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[16,0]}}"#,
        r#"{"scale":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"scale":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}"#,
        r#"[1,2,3]"#,
    ] {
        let mut b = (header.len() as u64).to_le_bytes().to_vec();
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(&[0u8; 16]);
        must_fail(&b);
    }
    // Random multi-byte damage: an error with the model untouched, or (when the damage only
    // turned header padding into other whitespace) a load of exactly the saved values.
    let mut loaded = 0;
    for _ in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..rng.gen_range(1..4) {
            let i = rng.gen_range(0..b.len());
            b[i] = rng.gen();
        }
        if rng.gen_bool(0.2) {
            let cut = rng.gen_range(0..b.len());
            b.truncate(cut);
        }
        let mut m = victim();
        let before = bits(&to_flat(&m));
        match from_bytes(&mut m, &b, "fuzz") {
            Ok(()) => {
                loaded += 1;
                assert_eq!(bits(&to_flat(&m)), bits(&to_flat(&orig)));
            }
            Err(_) => assert_eq!(bits(&to_flat(&m)), before),
        }
    }
    println!("random damage: {loaded} of 3000 damaged files still loaded the saved values");
}

#[test]
fn a_run_resumed_from_model_and_optimizer_checkpoints_continues_bit_for_bit() {
    let dir = tmpdir("resume");
    let dev = Cpu::default();
    let bowl = Bowl::standard();
    let start: Vec<f64> = (0..BAG_P).map(|i| i as f64 * 0.1 - 0.4).collect();
    let run = |m: &mut Bag<f32, Cpu>, opt: &mut Adam, steps: usize| {
        for _ in 0..steps {
            let (_, g) = bowl.loss_and_grad(m).unwrap();
            opt.step(m, &g).unwrap();
        }
    };
    // Continuous: 10 steps.
    let mut m1: Bag<f32, Cpu> = Bag::from_flat(&dev, &start);
    let mut o1 = Adam::new(0.05);
    run(&mut m1, &mut o1, 10);
    // Interrupted after 5, saved, restored into fresh objects, 5 more.
    let mut m2: Bag<f32, Cpu> = Bag::from_flat(&dev, &start);
    let mut o2 = Adam::new(0.05);
    run(&mut m2, &mut o2, 5);
    save(&m2, dir.join("model.safetensors")).unwrap();
    save_optimizer(&o2, dir.join("adam.safetensors")).unwrap();
    let mut m3: Bag<f32, Cpu> = Bag::from_flat(&dev, &[0.0; BAG_P]);
    let mut o3 = Adam::new(0.05);
    load(&mut m3, dir.join("model.safetensors")).unwrap();
    load_optimizer(&mut o3, dir.join("adam.safetensors")).unwrap();
    assert_eq!(o3.steps(), 5);
    run(&mut m3, &mut o3, 5);
    assert_eq!(bits(&to_flat(&m3)), bits(&to_flat(&m1)));

    // Adam state into an SGD: refused, SGD untouched.
    let mut sgd = Sgd::new(0.1).momentum(0.9);
    let e = load_optimizer(&mut sgd, dir.join("adam.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("adam") && e.contains("sgd"), "{e}");
    assert_eq!(sgd.steps(), 0);
    // A flipped data byte: refused, the optimizer keeps its state.
    let mut bytes = std::fs::read(dir.join("adam.safetensors")).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x10;
    std::fs::write(dir.join("bad.safetensors"), &bytes).unwrap();
    let before = o3.state();
    let e = load_optimizer(&mut o3, dir.join("bad.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("checksum"), "{e}");
    assert_eq!(o3.state(), before);
    // A model checkpoint is not an optimizer state.
    assert!(load_optimizer(&mut o3, dir.join("model.safetensors")).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
