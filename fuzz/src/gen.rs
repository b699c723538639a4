//! Structured inputs: whole DSL models written from random bytes. Shapes are drawn from a small
//! pool (a few literals and the declared dim names), so a good share of the models type-check
//! and reach lowering, differentiation and emission; the rest exercise the checker's errors.

use arbitrary::{Result, Unstructured};

const UNARY: &[&str] = &[
    "exp",
    "ln",
    "log",
    "sqrt",
    "square",
    "abs",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "softplus",
    "gelu",
    "stop_grad",
    "transpose",
];
const REDUCE: &[&str] = &["sum", "mean", "max", "logsumexp"];
const BINOP: &[&str] = &["+", "-", "*", "/", "@"];
const LOSS: &[&str] = &["mse", "cross_entropy", "bce_with_logits"];
const INIT: &[&str] = &[
    "zeros",
    "ones",
    "glorot",
    "xavier",
    "glorot_normal",
    "he",
    "kaiming",
    "he_uniform",
    "constant(0.5)",
    "normal(0.0, 1.0)",
    "uniform(-1.0, 1.0)",
    "lecun",
    "normal(1.0)",
];

struct G<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    dims: Vec<String>,
    names: Vec<String>,
    fns: Vec<String>,
}

impl G<'_, '_> {
    fn pick<'s>(&mut self, xs: &'s [&'s str]) -> Result<&'s str> {
        Ok(*self.u.choose(xs)?)
    }

    fn dim(&mut self) -> Result<String> {
        let lits = ["1", "2", "3", "4", "0", "5"];
        if !self.dims.is_empty() && self.u.ratio(1, 2)? {
            let i = self.u.choose_index(self.dims.len())?;
            Ok(self.dims[i].clone())
        } else {
            Ok(self.pick(&lits)?.to_string())
        }
    }

    fn shape(&mut self, max_rank: usize) -> Result<String> {
        let r = self.u.int_in_range(0..=max_rank)?;
        let ds: Vec<String> = (0..r).map(|_| self.dim()).collect::<Result<_>>()?;
        Ok(format!("[{}]", ds.join(", ")))
    }

    fn axis(&mut self) -> Result<String> {
        Ok(self.u.int_in_range(-3i8..=3)?.to_string())
    }

    fn number(&mut self) -> Result<String> {
        Ok(self
            .pick(&["1.0", "2", "0.5", "-1.0", "0", "3.0", "1e-3", "1e300", "0.044715"])?
            .to_string())
    }

    fn expr(&mut self, depth: u32) -> Result<String> {
        if depth == 0 || self.u.ratio(1, 4)? {
            return if !self.names.is_empty() && self.u.ratio(5, 6)? {
                let i = self.u.choose_index(self.names.len())?;
                Ok(self.names[i].clone())
            } else {
                self.number()
            };
        }
        let d = depth - 1;
        Ok(match self.u.int_in_range(0u8..=16)? {
            0 | 1 => format!("{}({})", self.pick(UNARY)?, self.expr(d)?),
            2..=4 => {
                let (a, op, b) = (self.expr(d)?, self.pick(BINOP)?, self.expr(d)?);
                format!("{a} {op} {b}")
            }
            5 => format!("({})", self.expr(d)?),
            6 => format!("-{}", self.expr(d)?),
            7 => {
                let f = self.pick(REDUCE)?;
                let x = self.expr(d)?;
                match self.u.int_in_range(0u8..=4)? {
                    0 => format!("{f}({x})"),
                    1 => format!("{f}({x}, axis = {})", self.axis()?),
                    2 => format!("{f}({x}, axis = {}, keepdim)", self.axis()?),
                    3 => format!("{f}({x}, axes = [{}, {}])", self.axis()?, self.axis()?),
                    _ => format!("{f}({x}, {})", self.axis()?),
                }
            }
            8 => format!("reshape({}, {})", self.expr(d)?, self.shape(3)?),
            9 => format!("broadcast({}, {})", self.expr(d)?, self.shape(3)?),
            10 => {
                let x = self.expr(d)?;
                let perm = match self.u.int_in_range(0u8..=3)? {
                    0 => "[1, 0]",
                    1 => "[0, 2, 1]",
                    2 => "[2, 0, 1]",
                    _ => "[0, 0]",
                };
                format!("permute({x}, {perm})")
            }
            11 => format!(
                "concat({}, {}, axis = {})",
                self.expr(d)?,
                self.expr(d)?,
                self.axis()?
            ),
            12 => {
                let x = self.expr(d)?;
                let a = self.u.int_in_range(0u8..=4)?;
                let b = self.u.int_in_range(0u8..=5)?;
                if self.u.ratio(1, 2)? {
                    format!("slice({x}, axis = {}, {a}..{b})", self.axis()?)
                } else {
                    format!("select({x}, axis = {}, {a})", self.axis()?)
                }
            }
            13 => {
                let f = self.pick(&["softmax", "log_softmax"])?;
                let x = self.expr(d)?;
                if self.u.ratio(1, 2)? {
                    format!("{f}({x})")
                } else {
                    format!("{f}({x}, axis = {})", self.axis()?)
                }
            }
            14 => format!("{}({}, {})", self.pick(LOSS)?, self.expr(d)?, self.expr(d)?),
            15 => format!("pow({}, {})", self.expr(d)?, self.number()?),
            _ => {
                if self.fns.is_empty() {
                    format!("square({})", self.expr(d)?)
                } else {
                    let i = self.u.choose_index(self.fns.len())?;
                    let f = self.fns[i].clone();
                    let n = self.u.int_in_range(0u8..=2)?;
                    let args: Vec<String> = (0..n).map(|_| self.expr(d)).collect::<Result<_>>()?;
                    format!("{f}({})", args.join(", "))
                }
            }
        })
    }
}

/// One model (or two) as the text a user would put inside `model! { … }`.
pub fn model_source(u: &mut Unstructured) -> Result<String> {
    let mut g = G {
        u,
        dims: vec![],
        names: vec![],
        fns: vec![],
    };
    let mut out = String::new();
    let n_models = if g.u.ratio(1, 8)? { 2 } else { 1 };
    for m in 0..n_models {
        g.dims.clear();
        g.fns.clear();
        out.push_str(&format!("/// Model {m}.\npub struct M{m} {{\n"));
        // dims
        let mut dims = vec![];
        for (i, name) in ["B", "H", "N", "T"].iter().enumerate() {
            if i == 0 || g.u.ratio(1, 2)? {
                let kind = match g.u.int_in_range(0u8..=3)? {
                    0 | 1 if i != 1 => format!("{name}: batch"),
                    2 => format!("{name}: const"),
                    _ => format!("{name} = {}", g.u.int_in_range(1u8..=4)?),
                };
                dims.push(kind);
                g.dims.push(name.to_string());
            }
        }
        out.push_str(&format!("    dims {{ {} }}\n", dims.join(", ")));
        // params
        let n_params = g.u.int_in_range(0u8..=4)?;
        let mut params = vec![];
        let mut pnames = vec![];
        for p in 0..n_params {
            let name = format!("w{p}");
            let shape = g.shape(3)?;
            let init = g.pick(INIT)?;
            params.push(format!("{name}: {shape} = {init}"));
            pnames.push(name);
        }
        out.push_str(&format!("    params {{ {} }}\n", params.join(", ")));
        // functions
        let n_fns = g.u.int_in_range(1u8..=3)?;
        for f in 0..n_fns {
            let fname = if f == n_fns - 1 {
                "loss".to_string()
            } else {
                format!("f{f}")
            };
            let n_args = g.u.int_in_range(0u8..=2)?;
            let mut args = vec![];
            g.names = pnames.clone();
            for a in 0..n_args {
                let an = ["x", "y"][a as usize].to_string();
                args.push(format!("{an}: {}", g.shape(3)?));
                g.names.push(an);
            }
            let ret = if g.u.ratio(2, 3)? {
                "[]".to_string()
            } else {
                g.shape(2)?
            };
            let attr = if g.u.ratio(1, 6)? { "#[grad] " } else { "" };
            let mut body = String::new();
            let n_lets = g.u.int_in_range(0u8..=3)?;
            for l in 0..n_lets {
                let e = g.expr(4)?;
                let name = format!("h{l}");
                body.push_str(&format!("let {name} = {e}; "));
                g.names.push(name);
            }
            body.push_str(&g.expr(5)?);
            out.push_str(&format!(
                "    {attr}fn {fname}({}) -> {ret} {{ {body} }}\n",
                args.join(", ")
            ));
            g.fns.push(fname);
        }
        out.push_str("}\n");
    }
    Ok(out)
}
