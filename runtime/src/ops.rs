//! Kernels that derived backward passes call where dfdx has no single op.
