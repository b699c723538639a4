//! Symbolic shapes. A dim is a literal, a const-generic parameter of the model, or a run-time
//! dim (batch, time) that dfdx carries as `usize`. Named constants (`H = 32`) are literals that
//! remember their name, so messages speak the user's words.

use std::fmt;

/// What a dim is, for equality and emission.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DimKind {
    /// A number known to the macro.
    Lit(usize),
    /// A `const N: usize` parameter of the model struct.
    Generic(String),
    /// A run-time dim, bound from the inputs when a function is called.
    Runtime(String),
}

/// One dim of a shape. Equality ignores the display name.
#[derive(Debug, Clone)]
pub struct Dim {
    pub kind: DimKind,
    /// The name the user wrote (`H`), if any.
    pub name: Option<String>,
}

impl PartialEq for Dim {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}
impl Eq for Dim {}

impl Dim {
    pub fn lit(n: usize) -> Self {
        Dim {
            kind: DimKind::Lit(n),
            name: None,
        }
    }
    pub fn as_lit(&self) -> Option<usize> {
        match self.kind {
            DimKind::Lit(n) => Some(n),
            _ => None,
        }
    }
    pub fn is_runtime(&self) -> bool {
        matches!(self.kind, DimKind::Runtime(_))
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, &self.name) {
            (DimKind::Lit(n), Some(name)) => write!(f, "{name}={n}"),
            (DimKind::Lit(n), None) => write!(f, "{n}"),
            (DimKind::Generic(s) | DimKind::Runtime(s), _) => f.write_str(s),
        }
    }
}

/// A tensor shape, outermost dim first. `[]` is a scalar.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shape(pub Vec<Dim>);

impl Shape {
    pub fn scalar() -> Self {
        Shape(Vec::new())
    }
    pub fn rank(&self) -> usize {
        self.0.len()
    }
    pub fn is_scalar(&self) -> bool {
        self.0.is_empty()
    }
    /// The shape with the given axes removed (sorted, unique).
    pub fn without_axes(&self, axes: &[usize]) -> Shape {
        Shape(
            self.0
                .iter()
                .enumerate()
                .filter(|(i, _)| !axes.contains(i))
                .map(|(_, d)| d.clone())
                .collect(),
        )
    }
    /// Literal product of all literal dims, and the symbolic dims (sorted), for numel checks.
    pub fn numel_parts(&self) -> (usize, Vec<DimKind>) {
        let mut lit = 1usize;
        let mut sym = Vec::new();
        for d in &self.0 {
            match &d.kind {
                DimKind::Lit(n) => lit = lit.saturating_mul(*n),
                k => sym.push(k.clone()),
            }
        }
        sym.sort_by_key(|k| format!("{k:?}"));
        (lit, sym)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}
