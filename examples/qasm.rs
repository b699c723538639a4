//! Runs an OpenQASM 2.0 file and prints the expectation of an observable, optionally with its
//! gradient with respect to every angle in the file (in order of appearance), as one JSON line:
//!
//! ```text
//! cargo run --release --example qasm -- FILE.qasm --observable "0.5*Z0Z2 - 0.8*X1X2 + 0.3*Y2 + 0.6*X0" [--grad] [--method adjoint|parameter-shift|finite-diff]
//! {"expectation": 0.123, "gradient": [0.1, -0.2]}
//! ```
//!
//! Errors (file, observable, options) go to stderr with line and column; the exit code is 1.
//! The logic lives in `shapegrad::quantum::qasm::run_cli` so the runtime's tests cover it.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match shapegrad::quantum::qasm::run_cli(&args) {
        Ok(json) => println!("{json}"),
        Err(msg) => {
            eprintln!("error: {msg}");
            std::process::exit(1);
        }
    }
}
