//! Run-time support for `shapegrad` models.
//!
//! Generated code reaches this crate through `::shapegrad::__private`; users reach it through
//! the `shapegrad` facade. Modules:
//! - [`params`]: the parameter visitor every generated model implements, and flat-vector views.
//! - [`error`]: run-time errors that name the tensor and both shapes.
//! - [`init`]: seeded, reproducible initializers.
//! - [`ops`]: kernels the derived backward passes call (VJP helpers dfdx lacks).
//! - [`kernels`]: fused elementwise kernels and the CPU matrix product the derived code calls.
//! - [`optim`], [`train`], [`data`], [`gradcheck`], [`io`], [`plot`]: training runtime.
//! - [`quantum`]: state-vector simulator and differentiable quantum layers.
// One audited exception: the call into the `gemm` crate (`kernels::gemm_into`), whose API is
// raw pointers; it checks every length and stride it passes.
#![deny(unsafe_code)]

pub use dfdx;

pub mod custom;
pub mod data;
pub mod error;
pub mod gradcheck;
pub mod hessian;
pub mod init;
pub mod io;
pub mod kernels;
pub mod ops;
pub mod optim;
pub mod params;
pub mod plot;
pub mod quantum;
pub mod train;

pub use error::{Error, Result};
pub use params::{Model, Params, TensorPairVisitor, TensorVisitor, TensorVisitorMut};
