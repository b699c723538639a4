//! # shapegrad
//!
//! A compile-time typed tensor DSL. Write a model inside [`model!`]; the macro checks every
//! shape at compile time and derives the gradient by source transformation, emitting
//! statically shaped dfdx code for the forward and backward passes.
#![forbid(unsafe_code)]

pub use shapegrad_macros::model;
pub use shapegrad_runtime::*;

/// Everything a user needs: the macro, dfdx's tensors and devices, the runtime traits.
pub mod prelude {
    pub use crate::dfdx::prelude::{
        AsArray, Const, Cpu, HasShape, NoneTape, OwnedTape, Rank0, Rank1, Rank2, Rank3, Tensor, TensorFrom,
        TensorFromVec, ZerosTensor,
    };
    pub use crate::init::Init;
    pub use crate::model;
    pub use crate::params::{num_params, set_flat, to_flat};
    pub use crate::{Error, Model, Params};
}

/// Paths the generated code uses. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use shapegrad_runtime::dfdx;
    pub use shapegrad_runtime::*;
}

/// The book's chapters as doctests: `cargo test --workspace` compiles and runs every Rust
/// snippet in `book/src/` (and checks that `compile_fail` snippets fail).
#[cfg(doctest)]
pub mod book {
    #[doc = include_str!("../book/src/introduction.md")]
    pub struct Introduction;
    #[doc = include_str!("../book/src/getting-started.md")]
    pub struct GettingStarted;
    #[doc = include_str!("../book/src/dsl.md")]
    pub struct Dsl;
    #[doc = include_str!("../book/src/errors.md")]
    pub struct Errors;
    #[doc = include_str!("../book/src/training.md")]
    pub struct Training;
    #[doc = include_str!("../book/src/quantum.md")]
    pub struct Quantum;
    #[doc = include_str!("../book/src/advanced.md")]
    pub struct Advanced;
    #[doc = include_str!("../book/src/applications/ising_boltzmann.md")]
    pub struct AppIsingBoltzmann;
    #[doc = include_str!("../book/src/applications/symmetry_breaking.md")]
    pub struct AppSymmetryBreaking;
    #[doc = include_str!("../book/src/applications/phase_transition.md")]
    pub struct AppPhaseTransition;
    #[doc = include_str!("../book/src/applications/rotation_invariance.md")]
    pub struct AppRotationInvariance;
    #[doc = include_str!("../book/src/applications/gto_potential.md")]
    pub struct AppGtoPotential;
    #[doc = include_str!("../book/src/applications/cellular_automaton.md")]
    pub struct AppCellularAutomaton;
    #[doc = include_str!("../book/src/applications/splice_sites.md")]
    pub struct AppSpliceSites;
    #[doc = include_str!("../book/src/applications/epigenetic_plasticity.md")]
    pub struct AppEpigeneticPlasticity;
    #[doc = include_str!("../book/src/applications/carbon_forecast.md")]
    pub struct AppCarbonForecast;
    #[doc = include_str!("../book/src/applications/gpu_scaling.md")]
    pub struct AppGpuScaling;
    #[doc = include_str!("../book/src/applications/optimizers.md")]
    pub struct AppOptimizers;
    #[doc = include_str!("../book/src/applications/adversarial_work.md")]
    pub struct AppAdversarialWork;
    #[doc = include_str!("../book/src/applications/quantum_classifier.md")]
    pub struct AppQuantumClassifier;
    #[doc = include_str!("../book/src/applications/vae_rg.md")]
    pub struct AppVaeRg;
}
