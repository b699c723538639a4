//! Run-time errors. Every message names the tensor (or file, or step) and, for shape problems,
//! both shapes, so the user can fix the call without a debugger.

use std::fmt;

/// The error type of every fallible shapegrad run-time operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A run-time dim (batch, sequence length) disagrees between two inputs, or an input has
    /// the wrong length.
    Shape {
        /// What was being done, e.g. "`Mlp::loss`".
        context: String,
        /// The tensor at fault.
        tensor: String,
        /// The shape the model expected, e.g. "[B = 32, 2]".
        expected: String,
        /// The shape it got.
        found: String,
    },
    /// A run-time dim is zero where the model needs at least one element (e.g. an empty batch
    /// passed to a mean).
    Empty {
        context: String,
        tensor: String,
        dim: String,
    },
    /// A non-finite value appeared.
    NonFinite {
        context: String,
        tensor: String,
        index: usize,
        value: f64,
    },
    /// Anything else, with its message.
    Other(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape {
                context,
                tensor,
                expected,
                found,
            } => write!(
                f,
                "{context}: tensor `{tensor}` has shape {found}, but the model expects {expected}"
            ),
            Error::Empty { context, tensor, dim } => {
                write!(f, "{context}: tensor `{tensor}` is empty along `{dim}`")
            }
            Error::NonFinite {
                context,
                tensor,
                index,
                value,
            } => write!(
                f,
                "{context}: tensor `{tensor}` holds a non-finite value {value} at flat index {index}"
            ),
            Error::Other(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}

/// Shorthand for `std::result::Result<T, shapegrad_runtime::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
