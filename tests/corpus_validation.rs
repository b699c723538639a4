//! Run-time input validation: what the generated code and the data helpers do with inputs whose
//! run-time dims disagree, empty batches, wrong-length buffers and NaNs. Every case is a
//! `Result` error that names the tensor and the shapes, never a panic.

use shapegrad::data;
use shapegrad::optim::Sgd;
use shapegrad::prelude::*;
use shapegrad::train::{TrainConfig, Trainer};

shapegrad::model! {
    struct Net {
        dims { B: batch, T: batch }
        params { w: [2, 1] = glorot, v: [3] = ones }
        fn loss(x: [B, 2], y: [B, 1]) -> [] { mse(x @ w, y) }
        fn seq(s: [B, T, 3], m: [B, T]) -> [] { sum(sum(s * v, axis = 2) * m) }
    }
}

fn x(dev: &Cpu, b: usize) -> Tensor<(usize, Const<2>), f64, Cpu> {
    dev.tensor_from_vec((0..2 * b).map(|i| i as f64 * 0.1).collect(), (b, Const::<2>))
}
fn y(dev: &Cpu, b: usize) -> Tensor<(usize, Const<1>), f64, Cpu> {
    dev.tensor_from_vec(vec![0.5; b], (b, Const::<1>))
}

#[test]
fn batch_dims_that_disagree_between_inputs_name_the_tensor_and_both_shapes() {
    let dev = Cpu::default();
    let m: Net<f64, Cpu> = Net::new(&dev, 0);
    let err = m.loss(&x(&dev, 4), &y(&dev, 3)).err().unwrap();
    match &err {
        shapegrad::Error::Shape {
            context,
            tensor,
            expected,
            found,
        } => {
            assert_eq!(context, "Net::loss");
            assert_eq!(tensor, "y");
            assert_eq!(expected, "[B, 1] with B = 4");
            assert_eq!(found, "[3, 1]");
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "Net::loss: tensor `y` has shape [3, 1], but the model expects [B, 1] with B = 4"
    );
    // The derived and taped variants check the same way.
    assert_eq!(m.loss_and_grad(&x(&dev, 4), &y(&dev, 3)).err().unwrap(), err);
    assert_eq!(m.loss_tape(&x(&dev, 4), &y(&dev, 3)).err().unwrap(), err);
    assert!(m.loss_and_grad_inputs(&x(&dev, 4), &y(&dev, 3)).is_err());
}

#[test]
fn a_second_runtime_dim_is_checked_too() {
    let dev = Cpu::default();
    let m: Net<f64, Cpu> = Net::new(&dev, 0);
    let s = dev.tensor_from_vec(vec![1.0; 2 * 5 * 3], (2usize, 5usize, Const::<3>));
    let good = dev.tensor_from_vec(vec![1.0; 2 * 5], (2usize, 5usize));
    assert_eq!(m.seq(&s, &good).unwrap(), 30.0);
    let bad_t = dev.tensor_from_vec(vec![1.0; 2 * 4], (2usize, 4usize));
    let err = m.seq(&s, &bad_t).err().unwrap().to_string();
    assert_eq!(
        err,
        "Net::seq: tensor `m` has shape [2, 4], but the model expects [B, T] with T = 5"
    );
    let bad_b = dev.tensor_from_vec(vec![1.0; 3 * 5], (3usize, 5usize));
    let err = m.seq_and_grad(&s, &bad_b).err().unwrap().to_string();
    assert_eq!(
        err,
        "Net::seq: tensor `m` has shape [3, 5], but the model expects [B, T] with B = 2"
    );
}

#[test]
fn an_empty_batch_is_an_error_naming_the_tensor_and_dim() {
    let dev = Cpu::default();
    let m: Net<f64, Cpu> = Net::new(&dev, 0);
    let err = m.loss(&x(&dev, 0), &y(&dev, 0)).err().unwrap();
    assert_eq!(
        err,
        shapegrad::Error::Empty {
            context: "Net::loss".into(),
            tensor: "x".into(),
            dim: "B".into()
        }
    );
    assert_eq!(err.to_string(), "Net::loss: tensor `x` is empty along `B`");
    assert!(m.loss_and_grad(&x(&dev, 0), &y(&dev, 0)).is_err());
    let s = dev.tensor_from_vec(Vec::<f64>::new(), (2usize, 0usize, Const::<3>));
    let mm = dev.tensor_from_vec(Vec::<f64>::new(), (2usize, 0usize));
    assert_eq!(
        m.seq(&s, &mm).err().unwrap().to_string(),
        "Net::seq: tensor `s` is empty along `T`"
    );
}

#[test]
fn wrong_length_buffers_are_errors_not_panics() {
    let dev = Cpu::default();
    let err = data::tensor_from_flat::<2, f64, f64, Cpu>(&dev, &[1.0, 2.0, 3.0])
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "tensor_from_flat: tensor `flat buffer` has shape 3 values, but the model expects [rows, 2] (a multiple of 2 values)"
    );
    let err = data::batch_from_flat::<2, f64, f64, Cpu>(&dev, &[1.0, 2.0, 3.0, 4.0], &[0, 2])
        .err()
        .unwrap();
    assert!(err.to_string().contains("index 2"), "{err}");
    let rows = [[1.0f64, 2.0], [3.0, 4.0]];
    let err = data::batch_from_rows(&dev, &rows, &[1, 5]).err().unwrap();
    assert!(err.to_string().contains("< 2 rows"), "{err}");
    // A flat parameter vector of the wrong length.
    let mut m: Net<f64, Cpu> = Net::new(&dev, 0);
    let err = set_flat(&mut m, &[0.0; 4]).err().unwrap();
    assert!(
        err.to_string().contains('5') && err.to_string().contains('4'),
        "{err}"
    );
}

#[test]
fn nan_inputs_stop_training_with_the_tensor_named() {
    let dev = Cpu::default();
    let mut m: Net<f64, Cpu> = Net::new(&dev, 0);
    let xs = vec![[0.1, 0.2], [f64::NAN, 0.4], [0.5, 0.6], [0.7, 0.8]];
    let ys = vec![[0.0], [1.0], [0.0], [1.0]];
    let idx: Vec<usize> = (0..4).collect();
    let mut opt = Sgd::new(0.1);
    let err = Trainer::new(TrainConfig {
        epochs: 1,
        batch_size: 4,
        quiet: true,
        ..Default::default()
    })
    .fit(&mut m, &mut opt, &idx, |m, i| {
        let x = data::batch_from_rows(&dev, &xs, i)?;
        let y = data::batch_from_rows(&dev, &ys, i)?;
        m.loss_and_grad(&x, &y)
    })
    .err()
    .unwrap();
    println!("{err}");
    match &err {
        shapegrad::Error::NonFinite { context, tensor, .. } => {
            assert_eq!(tensor, "w", "{err}");
            assert!(context.contains("gradient"), "{err}");
        }
        other => panic!("expected a non-finite error, got {other:?}"),
    }
    // The parameters were not updated with the NaN gradient.
    assert!(to_flat(&m).iter().all(|v| v.is_finite()));
}
