//! A hybrid model, classical → quantum layer → classical, differentiated by hand through
//! `QuantumLayer::vjp` (what the DSL's custom op will do), checked against finite differences
//! of the whole loss, and trained.

use shapegrad_runtime::quantum::{Circuit, GradMethod, Hamiltonian, QuantumLayer, Rotation};

const B: usize = 12;

/// Parameters: `w1 [2,3]`, `b1 [3]`, quantum weights `[18]`, `w2 [3]`, `b2 [1]`, flat.
struct Hybrid {
    layer: QuantumLayer,
}

impl Hybrid {
    fn new(method: GradMethod) -> Hybrid {
        let mut c = Circuit::new(3).unwrap();
        c.angle_embedding(Rotation::Y, &[0, 1, 2], 0).unwrap();
        c.strongly_entangling_layers(&[0, 1, 2], 2, None, 0).unwrap();
        let obs = (0..3).map(|q| Hamiltonian::z(q).unwrap()).collect();
        Hybrid {
            layer: QuantumLayer::new(c, obs, method).unwrap(),
        }
    }
    fn num_params(&self) -> usize {
        6 + 3 + self.layer.num_weights() + 3 + 1
    }

    /// Loss and (when asked) its gradient with respect to the flat parameters.
    fn loss(&self, p: &[f64], x: &[f64], t: &[f64], grad: bool) -> (f64, Vec<f64>) {
        let (w1, rest) = p.split_at(6);
        let (b1, rest) = rest.split_at(3);
        let (qw, rest) = rest.split_at(self.layer.num_weights());
        let (w2, b2) = rest.split_at(3);
        // h = tanh(x·w1 + b1)
        let mut h = vec![0.0; B * 3];
        for b in 0..B {
            for j in 0..3 {
                let z = b1[j] + x[b * 2] * w1[j] + x[b * 2 + 1] * w1[3 + j];
                h[b * 3 + j] = z.tanh();
            }
        }
        let q = self.layer.forward(&h, B, qw).unwrap();
        let y: Vec<f64> = (0..B)
            .map(|b| b2[0] + (0..3).map(|j| q[b * 3 + j] * w2[j]).sum::<f64>())
            .collect();
        let loss = y.iter().zip(t).map(|(y, t)| (y - t).powi(2)).sum::<f64>() / B as f64;
        if !grad {
            return (loss, vec![]);
        }
        let dy: Vec<f64> = y.iter().zip(t).map(|(y, t)| 2.0 * (y - t) / B as f64).collect();
        let mut g = vec![0.0; self.num_params()];
        let o2 = 6 + 3 + self.layer.num_weights();
        let mut dq = vec![0.0; B * 3];
        for b in 0..B {
            g[o2 + 3] += dy[b];
            for j in 0..3 {
                g[o2 + j] += dy[b] * q[b * 3 + j];
                dq[b * 3 + j] = dy[b] * w2[j];
            }
        }
        let (dh, dqw) = self.layer.vjp(&h, B, qw, &dq).unwrap();
        g[9..o2].copy_from_slice(&dqw);
        for b in 0..B {
            for j in 0..3 {
                let dz = dh[b * 3 + j] * (1.0 - h[b * 3 + j].powi(2));
                g[6 + j] += dz;
                g[j] += dz * x[b * 2];
                g[3 + j] += dz * x[b * 2 + 1];
            }
        }
        (loss, g)
    }
}

fn data() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..B * 2)
        .map(|i| ((i * 7 % 13) as f64 / 6.0 - 1.0) * 1.2)
        .collect();
    let t: Vec<f64> = (0..B)
        .map(|b| 0.6 * (x[2 * b] * 1.5).sin() - 0.3 * x[2 * b + 1])
        .collect();
    (x, t)
}

fn init(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.4 * ((i as f64 * 1.618).sin())).collect()
}

#[test]
fn quantum_hybrid_gradient_matches_finite_differences() {
    let (x, t) = data();
    for method in [GradMethod::Adjoint, GradMethod::ParameterShift] {
        let m = Hybrid::new(method);
        let p = init(m.num_params());
        let (_, g) = m.loss(&p, &x, &t, true);
        let h = 1e-5;
        for i in 0..p.len() {
            let (mut pp, mut pm) = (p.clone(), p.clone());
            pp[i] += h;
            pm[i] -= h;
            let fd = (m.loss(&pp, &x, &t, false).0 - m.loss(&pm, &x, &t, false).0) / (2.0 * h);
            assert!((g[i] - fd).abs() < 1e-7, "{method:?} param {i}: {} vs {fd}", g[i]);
        }
    }
}

#[test]
fn quantum_hybrid_model_trains() {
    let (x, t) = data();
    let m = Hybrid::new(GradMethod::Adjoint);
    let mut p = init(m.num_params());
    let first = m.loss(&p, &x, &t, false).0;
    // Adam, plain.
    let (mut m1, mut m2) = (vec![0.0; p.len()], vec![0.0; p.len()]);
    let (lr, b1, b2) = (0.05, 0.9, 0.999);
    for step in 1..=150 {
        let (_, g) = m.loss(&p, &x, &t, true);
        for i in 0..p.len() {
            m1[i] = b1 * m1[i] + (1.0 - b1) * g[i];
            m2[i] = b2 * m2[i] + (1.0 - b2) * g[i] * g[i];
            let mh = m1[i] / (1.0 - b1.powi(step));
            let vh = m2[i] / (1.0 - b2.powi(step));
            p[i] -= lr * mh / (vh.sqrt() + 1e-8);
        }
    }
    let last = m.loss(&p, &x, &t, false).0;
    assert!(last < 0.2 * first, "loss {first} -> {last}");
}

/// The layer can be shared across threads (the DSL op will hold it in a model).
#[test]
fn quantum_layer_is_send_and_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<QuantumLayer>();
}
