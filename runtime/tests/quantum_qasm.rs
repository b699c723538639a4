//! OpenQASM import and the `qasm` command-line entry point (through `run_cli`, which the
//! example calls verbatim).

use shapegrad_runtime::quantum::{
    gradient, parse_qasm, qasm::run_cli, Circuit, Gate, GradMethod, Hamiltonian, C64,
};
use std::io::Write;

fn temp_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("shapegrad-quantum-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path.to_string_lossy().into_owned()
}

/// Pulls the numbers out of `{"expectation": v, "gradient": [a, b]}`.
fn parse_json(s: &str) -> (f64, Option<Vec<f64>>) {
    assert!(
        s.starts_with("{\"expectation\": ") && s.ends_with('}') && !s.contains('\n'),
        "{s}"
    );
    let body = &s["{\"expectation\": ".len()..s.len() - 1];
    match body.split_once(", \"gradient\": [") {
        None => (body.parse().unwrap(), None),
        Some((v, rest)) => {
            let list = rest.strip_suffix(']').unwrap();
            let g = if list.is_empty() {
                vec![]
            } else {
                list.split(", ").map(|x| x.parse().unwrap()).collect()
            };
            (v.parse().unwrap(), Some(g))
        }
    }
}

const ISSUE: &str = "OPENQASM 2.0;
include \"qelib1.inc\";
qreg q[3];
creg c[3];
// the issue's closed-form circuit
ry(0.1) q[0];
rx(0.7) q[1];
rz(-0.3) q[2];
cx q[0],q[1];
cx q[1],q[2];
ry(1.3) q[0];
barrier q;
measure q -> c;
";

#[test]
fn quantum_cli_matches_closed_forms_for_every_method() {
    let file = temp_file("issue.qasm", ISSUE);
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v = vec![file.clone(), "--observable".into(), "Z0Z2 + 0.5*Z1".into()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let (c1, c7, c13) = (0.1f64.cos(), 0.7f64.cos(), 1.3f64.cos());
    let (s1, s7, s13) = (0.1f64.sin(), 0.7f64.sin(), 1.3f64.sin());
    let want = c13 * c7 + 0.5 * c1 * c7;
    let (v, g) = parse_json(&run_cli(&args(&[])).unwrap());
    assert!((v - want).abs() < 1e-12 && g.is_none());
    // ∂/∂(0.1, 0.7, −0.3, 1.3) of cos1.3·cos0.7 + 0.5·cos0.1·cos0.7.
    let grad = [-0.5 * s1 * c7, -c13 * s7 - 0.5 * c1 * s7, 0.0, -s13 * c7];
    for m in ["adjoint", "parameter-shift", "finite-diff"] {
        let (v, g) = parse_json(&run_cli(&args(&["--grad", "--method", m])).unwrap());
        assert!((v - want).abs() < 1e-12);
        let g = g.unwrap();
        assert_eq!(g.len(), 4);
        for (a, b) in g.iter().zip(grad) {
            assert!((a - b).abs() < 1e-9, "{m}: {g:?}");
        }
    }
    assert!(run_cli(&args(&["--grad", "--method=adjoint"])).is_ok());
}

#[test]
fn quantum_cli_errors_name_line_and_column() {
    let bad = temp_file("bad.qasm", "OPENQASM 2.0;\nqreg q[2];\nh q[0];\nfoo(0.1) q[1];\n");
    let e = run_cli(&[bad, "--observable".into(), "Z0".into()]).unwrap_err();
    assert!(e.contains("line 4, column 1") && e.contains("foo"), "{e}");
    let good = temp_file("good.qasm", "OPENQASM 2.0;\nqreg q[2];\nh q[0];\n");
    let e = run_cli(&[good.clone(), "--observable".into(), "Z0 + 0.3*Z7".into()]).unwrap_err();
    assert!(e.contains("line 1, column 11"), "{e}");
    let e = run_cli(&[good.clone(), "--observable".into(), "Z0 +* Z1".into()]).unwrap_err();
    assert!(e.contains("line 1, column 5"), "{e}");
    assert!(run_cli(std::slice::from_ref(&good))
        .unwrap_err()
        .contains("--observable"));
    assert!(run_cli(&[
        good.clone(),
        "--observable".into(),
        "Z0".into(),
        "--method".into(),
        "magic".into()
    ])
    .is_err());
    assert!(run_cli(&["/nonexistent/x.qasm".into(), "--observable".into(), "Z0".into()]).is_err());
}

/// Angles inside user gates chain back to the call-site parameters, including nonlinear
/// expressions, and every qelib1 gate with angles is differentiable through the file.
#[test]
fn quantum_gradients_through_user_gates_and_qelib1() {
    let src = "OPENQASM 2.0;
include \"qelib1.inc\";
gate layer(a, b) x, y { ry(a) x; rz(a*b - pi/4) y; cx x, y; crx(sin(b)) y, x; }
gate twice(t) x, y, z { layer(t, 2*t) x, y; layer(-t, t^2) y, z; ccx x, y, z; }
qreg q[4];
h q;
twice(0.37) q[0], q[2], q[3];
u3(0.1, 0.2, 0.3) q[1];
u2(-0.4, 1.1) q[2];
u1(0.5) q[3];
U(0.6, -0.7, 0.8) q[0];
p(0.9) q[1];
cu1(1.0) q[1], q[2];
cp(-1.1) q[2], q[3];
cu3(1.2, 0.3, -0.4) q[3], q[0];
cry(0.45) q[0], q[1];
crz(-0.55) q[1], q[3];
rxx(0.65) q[0], q[3];
rzz(-0.75) q[1], q[2];
sx q[0]; sxdg q[1]; s q[2]; sdg q[3]; t q[0]; tdg q[1]; y q[2]; z q[3]; x q[0]; id q[1];
cy q[0], q[1]; cz q[1], q[2]; ch q[2], q[3]; swap q[0], q[3]; cswap q[1], q[0], q[2];
rx(0.2) q;
";
    let p = parse_qasm(src).unwrap();
    assert_eq!(
        p.params.len(),
        1 + 3 + 2 + 1 + 3 + 1 + 1 + 1 + 3 + 1 + 1 + 1 + 1 + 1
    );
    let h = Hamiltonian::parse("0.5*Z0Z2 - 0.8*X1X2 + 0.3*Y2 + 0.6*X0 + Z3").unwrap();
    let adj = gradient(&p.circuit, &[], &p.params, &h, GradMethod::Adjoint).unwrap();
    let ps = gradient(&p.circuit, &[], &p.params, &h, GradMethod::ParameterShift).unwrap();
    let fd = gradient(&p.circuit, &[], &p.params, &h, GradMethod::FiniteDiff).unwrap();
    for i in 0..p.params.len() {
        assert!((adj.weights[i] - ps.weights[i]).abs() < 1e-8, "{i}");
        assert!((adj.weights[i] - fd.weights[i]).abs() < 1e-8, "{i}");
    }
    assert!(adj.weights.iter().any(|g| g.abs() > 1e-3));
}

/// qelib1's `cu3` decomposition is exactly controlled-U3.
#[test]
fn quantum_cu3_expansion_is_controlled_u3() {
    let (t, ph, la) = (0.7, -0.4, 1.9);
    let src = format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\nry(0.3) q[1];\ncu3({t},{ph},{la}) q[0],q[1];\n");
    let s1 = parse_qasm(&src).unwrap();
    let s1 = s1.circuit.run(&[], &s1.params).unwrap();
    let u = Gate::U3.matrix(&[t, ph, la]);
    let (o, z) = (C64::new(1.0, 0.0), C64::new(0.0, 0.0));
    let cu = [
        [o, z, z, z],
        [z, u[0][0], z, u[0][1]],
        [z, z, o, z],
        [z, u[1][0], z, u[1][1]],
    ];
    let mut c = Circuit::new(2).unwrap();
    c.h(0).unwrap().ry(1, 0.3).unwrap().unitary2(0, 1, cu).unwrap();
    let s2 = c.run(&[], &[]).unwrap();
    for (a, b) in s1.amplitudes().iter().zip(s2.amplitudes()) {
        assert!((a - b).norm() < 1e-12, "{a} vs {b}");
    }
}

/// Export and re-import reproduce the state, with one parameter per gate angle in order.
#[test]
fn quantum_to_qasm_round_trips() {
    let mut c = Circuit::new(4).unwrap();
    let w = |i| shapegrad_runtime::quantum::Angle::weight(i);
    c.h(0)
        .unwrap()
        .x(1)
        .unwrap()
        .y(2)
        .unwrap()
        .z(3)
        .unwrap()
        .s(0)
        .unwrap()
        .sdg(1)
        .unwrap();
    c.t(2).unwrap().tdg(3).unwrap().sx(0).unwrap().sxdg(1).unwrap();
    c.rx(0, w(0))
        .unwrap()
        .ry(1, w(1) * 2.0)
        .unwrap()
        .rz(2, -0.3)
        .unwrap()
        .p(3, w(0))
        .unwrap();
    c.u2(0, 0.1, w(1)).unwrap().u3(1, w(0), 0.2, -1.0 / 3.0).unwrap();
    c.cnot(0, 1)
        .unwrap()
        .cy(1, 2)
        .unwrap()
        .cz(2, 3)
        .unwrap()
        .ch(3, 0)
        .unwrap()
        .swap(0, 2)
        .unwrap();
    c.crx(0, 1, w(1))
        .unwrap()
        .cry(1, 2, 0.4)
        .unwrap()
        .crz(2, 3, w(0))
        .unwrap()
        .cphase(3, 0, 0.9)
        .unwrap();
    c.rxx(0, 3, w(1))
        .unwrap()
        .ryy(1, 2, 0.55)
        .unwrap()
        .rzz(2, 0, w(0))
        .unwrap();
    c.toffoli(0, 1, 2).unwrap().cswap(3, 0, 1).unwrap();
    let weights = [0.37, -1.21];
    let text = c.to_qasm(&[], &weights).unwrap();
    let p = parse_qasm(&text).unwrap();
    assert_eq!(p.params.len(), c.num_slots());
    assert_eq!(p.params, c.slot_values(&[], &weights).unwrap());
    let a = c.run(&[], &weights).unwrap();
    let b = p.circuit.run(&[], &p.params).unwrap();
    for (x, y) in a.amplitudes().iter().zip(b.amplitudes()) {
        assert!((x - y).norm() < 1e-12, "{x} vs {y}\n{text}");
    }
    let mut u = Circuit::new(1).unwrap();
    u.unitary1(
        0,
        [
            [C64::new(0.0, 0.0), C64::new(1.0, 0.0)],
            [C64::new(1.0, 0.0), C64::new(0.0, 0.0)],
        ],
    )
    .unwrap();
    assert!(u.to_qasm(&[], &[]).is_err());
}

/// The multi-controlled qelib1 gates, expanded from their definitions, on every basis state.
#[test]
fn quantum_multi_controlled_qelib1_gates_are_exact() {
    let sx = Gate::SX.matrix(&[]);
    let one = C64::new(1.0, 0.0);
    // (gate, qubits, target, relative phase allowed)
    let cases: &[(&str, usize, bool)] = &[
        ("ccx", 3, false),
        ("rccx", 3, true),
        ("c3x", 4, false),
        ("rc3x", 4, true),
        ("c3sqrtx", 4, false),
        ("c4x", 5, false),
    ];
    for &(name, k, relative) in cases {
        let args: Vec<String> = (0..k).map(|j| format!("q[{j}]")).collect();
        for input in 0..1usize << k {
            let flips: String = (0..k)
                .filter(|j| input >> j & 1 == 1)
                .map(|j| format!("x q[{j}];\n"))
                .collect();
            let src = format!(
                "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{k}];\n{flips}{name} {};\n",
                args.join(",")
            );
            let p = parse_qasm(&src).unwrap();
            let s = p.circuit.run(&[], &p.params).unwrap();
            let controls = (1usize << (k - 1)) - 1;
            let t = 1usize << (k - 1);
            let mut want = vec![C64::new(0.0, 0.0); 1 << k];
            if input & controls == controls {
                let (b, other) = (input >> (k - 1), input ^ t);
                if name == "c3sqrtx" {
                    want[input] = sx[b][b];
                    want[other] = sx[1 - b][b];
                } else {
                    want[other] = one;
                }
            } else {
                want[input] = one;
            }
            for (i, (a, w)) in s.amplitudes().iter().zip(&want).enumerate() {
                let ok = if relative {
                    (a.norm() - w.norm()).abs() < 1e-12
                } else {
                    (a - w).norm() < 1e-12
                };
                assert!(ok, "{name} |{input:b}>: amplitude {i} = {a}, want {w}");
            }
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 400, ..Default::default() })]

    /// Malformed input gives an error, never a panic: random token soup from the grammar.
    #[test]
    fn quantum_qasm_parser_never_panics(toks in proptest::collection::vec(0usize..40, 0..60)) {
        const T: [&str; 40] = [
            "OPENQASM 2.0;", "include \"qelib1.inc\";", "qreg q[3];", "creg c[3];", "q[0]", "q[1]", "q[5]",
            "q", "c[0]", "h", "cx", "u3", "rx", "gate", "g", "(", ")", "{", "}", "[", "]", ";", ",",
            "pi", "0.5", "-", "+", "*", "/", "^", "sin", "a", "measure", "->", "barrier", "1e400", "\n",
            "cu3", "ccx", "reset",
        ];
        let src: String = toks.iter().map(|&i| T[i]).collect::<Vec<_>>().join(" ");
        let _ = parse_qasm(&format!("OPENQASM 2.0;\nqreg q[3];\n{src}"));
        let _ = parse_qasm(&src);
    }

    #[test]
    fn quantum_observable_parser_never_panics(s in "[XYZI0-9 .*+eE-]{0,24}") {
        let _ = Hamiltonian::parse(&s);
        let _ = Hamiltonian::parse_for(&s, 3);
    }
}
