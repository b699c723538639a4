//! Checkpoints in the safetensors format, and atomic file writes.
//!
//! - **Atomic**: a checkpoint is written to a temporary file in the same directory, flushed to
//!   disk (`fsync`), then renamed over the target, so a crash leaves either the old file or the
//!   new one, never a torn mix.
//! - **Checked**: safetensors has no checksum, so a flipped bit in tensor data would load
//!   silently. [`save`] stores an FNV-1a 64 checksum of every tensor's bytes in the header's
//!   metadata (`shapegrad.fnv1a64.<name>`); [`load`] verifies them when present (files from
//!   other tools have none and load unchecked). FNV-1a detects every single-byte change of the
//!   data; the header is covered by its own structure (a damaged header fails to parse, or
//!   names a tensor, shape or checksum that no longer matches).
//! - **All or nothing**: [`load`] parses and validates the whole file first — every parameter
//!   present with the model's dtype and shape, no unknown tensors, checksums right — and only
//!   then assigns, so a bad file never half-loads a model. Errors name the file, the tensor and
//!   both shapes or dtypes; nothing panics on malformed input.
//! - **Resumable**: [`save_optimizer`] / [`load_optimizer`] store a first-order optimizer's
//!   momenta, moments and step count the same way, so a resumed run continues bit for bit.

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use dfdx::shapes::{Dtype, HasShape, Shape};
use dfdx::tensor::Tensor;
use dfdx::tensor_ops::Device;
use safetensors::tensor::{Dtype as StDtype, SafeTensorError, SafeTensors, View};

use crate::error::{Error, Result};
use crate::optim::{Optimizer, OptimizerState};
use crate::params::{param_infos, Params, TensorVisitor, TensorVisitorMut};

const FORMAT_KEY: &str = "format";
const FORMAT: &str = "shapegrad";
const CHECKSUM_KIND_KEY: &str = "shapegrad.checksum";
const CHECKSUM_KIND: &str = "fnv1a64";
const CHECKSUM_PREFIX: &str = "shapegrad.fnv1a64.";

/// FNV-1a, 64 bit. Each step is a bijection of the state, so changing any one byte changes the
/// hash.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The safetensors dtype of `E`: checkpoints store `f32` and `f64` models natively.
fn st_dtype<E: Dtype>() -> Result<StDtype> {
    if TypeId::of::<E>() == TypeId::of::<f32>() {
        Ok(StDtype::F32)
    } else if TypeId::of::<E>() == TypeId::of::<f64>() {
        Ok(StDtype::F64)
    } else {
        Err(Error::Other(format!(
            "checkpoints support f32 and f64 models, not {}",
            std::any::type_name::<E>()
        )))
    }
}

fn encode<E: Dtype>(values: &[E], dtype: StDtype) -> Vec<u8> {
    // E is f32 or f64 (checked by st_dtype); the f64 round trip is exact for both.
    let mut out = Vec::with_capacity(values.len() * dtype.size());
    for v in values {
        let x = v.to_f64().unwrap_or(f64::NAN);
        match dtype {
            StDtype::F32 => out.extend_from_slice(&(x as f32).to_le_bytes()),
            _ => out.extend_from_slice(&x.to_le_bytes()),
        }
    }
    out
}

fn decode<E: Dtype>(bytes: &[u8], dtype: StDtype) -> Vec<E> {
    let conv = |x: f64| E::from_f64(x).unwrap_or_default();
    match dtype {
        StDtype::F32 => bytes
            .chunks_exact(4)
            .map(|c| conv(f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))))
            .collect(),
        _ => bytes
            .chunks_exact(8)
            .map(|c| {
                conv(f64::from_le_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]))
            })
            .collect(),
    }
}

struct OwnedView {
    dtype: StDtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &OwnedView {
    fn dtype(&self) -> StDtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// The checkpoint bytes of `model`, with extra `metadata` entries (e.g. `("step", "1200")`).
pub fn to_bytes<E: Dtype, D: Device<E>, P: Params<E, D>>(
    model: &P,
    metadata: &[(&str, &str)],
) -> Result<Vec<u8>> {
    let dtype = st_dtype::<E>()?;
    struct Collect(Vec<(String, OwnedView)>, StDtype);
    impl<E: Dtype, D: Device<E>> TensorVisitor<E, D> for Collect {
        fn visit<S: Shape>(&mut self, name: &str, t: &Tensor<S, E, D>) -> Result<()> {
            let shape = t.shape().concrete().into_iter().collect();
            let data = encode(&t.as_vec(), self.1);
            self.0.push((
                name.to_string(),
                OwnedView {
                    dtype: self.1,
                    shape,
                    data,
                },
            ));
            Ok(())
        }
    }
    let mut c = Collect(Vec::new(), dtype);
    model.visit_params("", &mut c)?;
    let mut seen = HashSet::new();
    let mut meta: HashMap<String, String> = HashMap::new();
    for (k, v) in metadata {
        if k.starts_with("shapegrad.") || *k == FORMAT_KEY {
            return Err(Error::Other(format!("checkpoint metadata key `{k}` is reserved")));
        }
        meta.insert(k.to_string(), v.to_string());
    }
    meta.insert(FORMAT_KEY.into(), FORMAT.into());
    meta.insert(CHECKSUM_KIND_KEY.into(), CHECKSUM_KIND.into());
    for (name, view) in &c.0 {
        if !seen.insert(name.as_str()) {
            return Err(Error::Other(format!(
                "the model has two tensors named `{name}`; a checkpoint needs unique names"
            )));
        }
        meta.insert(
            format!("{CHECKSUM_PREFIX}{name}"),
            format!("{:016x}", fnv1a64(&view.data)),
        );
    }
    safetensors::serialize(c.0.iter().map(|(n, v)| (n.as_str(), v)), &Some(meta))
        .map_err(|e| Error::Other(format!("cannot serialize checkpoint: {e}")))
}

/// Saves `model` to `path` atomically (see the module docs). Parent directories are created.
pub fn save<E: Dtype, D: Device<E>, P: Params<E, D>>(model: &P, path: impl AsRef<Path>) -> Result<()> {
    save_with_metadata(model, path, &[])
}

/// [`save`] with extra string metadata stored in the header (read it back with
/// [`read_metadata`]). Keys starting with `shapegrad.` and `format` are reserved.
pub fn save_with_metadata<E: Dtype, D: Device<E>, P: Params<E, D>>(
    model: &P,
    path: impl AsRef<Path>,
    metadata: &[(&str, &str)],
) -> Result<()> {
    let bytes = to_bytes(model, metadata)?;
    atomic_write(path.as_ref(), &bytes)
}

/// The user metadata of a checkpoint (without the reserved entries).
pub fn read_metadata(path: impl AsRef<Path>) -> Result<HashMap<String, String>> {
    let path = path.as_ref();
    let bytes = read(path)?;
    let (_, meta) =
        SafeTensors::read_metadata(&bytes).map_err(|e| corrupt(&path.display().to_string(), &e))?;
    Ok(meta
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("shapegrad.") && k != FORMAT_KEY)
        .collect())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::Other(format!("cannot read checkpoint `{}`: {e}", path.display())))
}

fn corrupt(source: &str, e: &SafeTensorError) -> Error {
    let why = match e {
        SafeTensorError::HeaderTooSmall => {
            "it is shorter than the 8-byte header length (truncated?)".to_string()
        }
        SafeTensorError::InvalidHeaderLength => {
            "its header length runs past the end of the file (truncated?)".to_string()
        }
        SafeTensorError::HeaderTooLarge => "its header length field is implausibly large".to_string(),
        SafeTensorError::InvalidHeader => "its header is not valid UTF-8".to_string(),
        SafeTensorError::InvalidHeaderStart | SafeTensorError::InvalidHeaderDeserialization => {
            "its header is not valid safetensors JSON".to_string()
        }
        SafeTensorError::MetadataIncompleteBuffer => {
            "the data section's length disagrees with the header (truncated or padded?)".to_string()
        }
        SafeTensorError::InvalidOffset(name) => {
            format!("the data offsets of tensor `{name}` are inconsistent")
        }
        SafeTensorError::TensorInvalidInfo => {
            "a tensor's byte length disagrees with its shape and dtype".to_string()
        }
        SafeTensorError::ValidationOverflow => "a tensor's shape overflows".to_string(),
        other => format!("{other:?}"),
    };
    Error::Other(format!(
        "checkpoint `{source}` is corrupt or not a safetensors file: {why}"
    ))
}

/// Whether a file carries shapegrad checksums. The header itself can be damaged, so this is
/// inferred from any of several independent entries: damage would have to erase all of them
/// (several bytes in different places) before damaged data could pass unchecked.
fn has_checksums(meta: &HashMap<String, String>) -> bool {
    meta.get(FORMAT_KEY).is_some_and(|f| f == FORMAT)
        || meta.contains_key(CHECKSUM_KIND_KEY)
        || meta.keys().any(|k| k.starts_with(CHECKSUM_PREFIX))
}

fn checksum_ok(meta: &HashMap<String, String>, name: &str, data: &[u8]) -> bool {
    meta.get(&format!("{CHECKSUM_PREFIX}{name}"))
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .is_some_and(|h| h == fnv1a64(data))
}

fn dims(shape: &[usize]) -> String {
    format!("{shape:?}")
}

/// Loads `path` into `model`; on any error `model` is unchanged.
pub fn load<E: Dtype, D: Device<E>, P: Params<E, D>>(model: &mut P, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let bytes = read(path)?;
    from_bytes(model, &bytes, &path.display().to_string())
}

/// Loads checkpoint `bytes` (named `source` in errors) into `model`; all or nothing.
pub fn from_bytes<E: Dtype, D: Device<E>, P: Params<E, D>>(
    model: &mut P,
    bytes: &[u8],
    source: &str,
) -> Result<()> {
    let want = st_dtype::<E>()?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| corrupt(source, &e))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| corrupt(source, &e))?;
    let meta = header.metadata().clone().unwrap_or_default();
    let checked = has_checksums(&meta);
    let infos = param_infos(model);
    let model_names: HashSet<&str> = infos.iter().map(|i| i.name.as_str()).collect();
    let file_names: Vec<String> = st.names().into_iter().cloned().collect();
    let unknown: Vec<&str> = file_names
        .iter()
        .map(String::as_str)
        .filter(|n| !model_names.contains(n))
        .collect();

    let mut values: HashMap<&str, Vec<E>> = HashMap::with_capacity(infos.len());
    for info in &infos {
        let view = match st.tensor(&info.name) {
            Ok(v) => v,
            Err(_) => {
                let hint = if unknown.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; the file has tensors the model lacks: {} (renamed?)",
                        unknown.join(", ")
                    )
                };
                return Err(Error::Other(format!(
                    "checkpoint `{source}` has no tensor `{}` (the model's `{}` has shape {}){hint}",
                    info.name,
                    info.name,
                    dims(&info.shape)
                )));
            }
        };
        if view.dtype() != want {
            return Err(Error::Other(format!(
                "checkpoint `{source}`: tensor `{}` is stored as {:?}, but the model holds {:?}",
                info.name,
                view.dtype(),
                want
            )));
        }
        if view.shape() != info.shape.as_slice() {
            return Err(Error::Shape {
                context: format!("loading checkpoint `{source}`"),
                tensor: info.name.clone(),
                expected: dims(&info.shape),
                found: dims(view.shape()),
            });
        }
        if checked && !checksum_ok(&meta, &info.name, view.data()) {
            return Err(Error::Other(format!(
                "checkpoint `{source}` is corrupt: the data of tensor `{}` does not match its checksum",
                info.name
            )));
        }
        values.insert(info.name.as_str(), decode(view.data(), want));
    }
    if !unknown.is_empty() {
        return Err(Error::Other(format!(
            "checkpoint `{source}` has tensors the model lacks: {} (a different model?)",
            unknown.join(", ")
        )));
    }

    // Everything is validated; assignment cannot fail from here on.
    struct Assign<'a, E>(HashMap<&'a str, Vec<E>>);
    impl<E: Dtype, D: Device<E>> TensorVisitorMut<E, D> for Assign<'_, E> {
        fn visit<S: Shape>(&mut self, name: &str, t: &mut Tensor<S, E, D>) -> Result<()> {
            if let Some(v) = self.0.remove(name) {
                *t = t.device().tensor_from_vec(v, *t.shape());
            }
            Ok(())
        }
    }
    model.visit_params_mut("", &mut Assign(values))
}

const OPT_KIND_KEY: &str = "shapegrad.optimizer.kind";
const OPT_STEPS_KEY: &str = "shapegrad.optimizer.steps";
const OPT_LR_KEY: &str = "shapegrad.optimizer.lr";

/// Saves a first-order optimizer's state ([`Optimizer::state`]: kind, step count, learning
/// rate, momenta and moments) atomically, so a run can resume exactly where it stopped. State
/// vectors are stored as `f64` tensors named `<parameter>#<slot>`, with checksums.
pub fn save_optimizer<O: Optimizer>(opt: &O, path: impl AsRef<Path>) -> Result<()> {
    let st = opt.state();
    let views: Vec<(String, OwnedView)> = st
        .slots
        .iter()
        .map(|(name, k, v)| {
            let data: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            (
                format!("{name}#{k}"),
                OwnedView {
                    dtype: StDtype::F64,
                    shape: vec![v.len()],
                    data,
                },
            )
        })
        .collect();
    let mut meta: HashMap<String, String> = HashMap::new();
    meta.insert(FORMAT_KEY.into(), FORMAT.into());
    meta.insert(CHECKSUM_KIND_KEY.into(), CHECKSUM_KIND.into());
    meta.insert(OPT_KIND_KEY.into(), st.kind.clone());
    meta.insert(OPT_STEPS_KEY.into(), st.steps.to_string());
    // Rust prints the shortest decimal that parses back to the same f64.
    meta.insert(OPT_LR_KEY.into(), st.lr.to_string());
    for (name, v) in &views {
        meta.insert(
            format!("{CHECKSUM_PREFIX}{name}"),
            format!("{:016x}", fnv1a64(&v.data)),
        );
    }
    let bytes = safetensors::serialize(views.iter().map(|(n, v)| (n.as_str(), v)), &Some(meta))
        .map_err(|e| Error::Other(format!("cannot serialize optimizer state: {e}")))?;
    atomic_write(path.as_ref(), &bytes)
}

/// Restores an optimizer's state saved by [`save_optimizer`]; on any error (corrupt file,
/// another kind of optimizer) the optimizer is unchanged.
pub fn load_optimizer<O: Optimizer>(opt: &mut O, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let bytes = read(path)?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| corrupt(&source, &e))?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| corrupt(&source, &e))?;
    let meta = header.metadata().clone().unwrap_or_default();
    let bad = |what: &str| Error::Other(format!("optimizer state `{source}`: {what}"));
    let kind = meta
        .get(OPT_KIND_KEY)
        .ok_or_else(|| bad("not an optimizer state file (no kind)"))?;
    let steps = meta
        .get(OPT_STEPS_KEY)
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| bad("missing or corrupt step count"))?;
    let lr = meta
        .get(OPT_LR_KEY)
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| bad("missing or corrupt learning rate"))?;
    let checked = has_checksums(&meta);
    let mut slots = Vec::new();
    for (name, view) in st.tensors() {
        if view.dtype() != StDtype::F64 || view.shape().len() != 1 {
            return Err(bad(&format!("tensor `{name}` is not a 1-D f64 vector")));
        }
        if checked && !checksum_ok(&meta, &name, view.data()) {
            return Err(bad(&format!(
                "the data of `{name}` does not match its checksum (corrupt)"
            )));
        }
        let (param, k) = name
            .rsplit_once('#')
            .and_then(|(p, k)| Some((p.to_string(), k.parse::<usize>().ok()?)))
            .ok_or_else(|| bad(&format!("tensor name `{name}` is not `<parameter>#<slot>`")))?;
        slots.push((param, k, decode::<f64>(view.data(), StDtype::F64)));
    }
    slots.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    opt.set_state(OptimizerState {
        kind: kind.clone(),
        steps,
        lr,
        slots,
    })
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: a temporary file in the same directory (so the rename
/// stays on one file system), `fsync`, rename over `path`, then `fsync` of the directory so the
/// rename itself is durable. Creates missing parent directories. Readers see the old content or
/// the new, never a partial file.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |what: &str, e: std::io::Error| Error::Other(format!("cannot {what} `{}`: {e}", path.display()));
    let name = path
        .file_name()
        .ok_or_else(|| Error::Other(format!("`{}` is not a file path", path.display())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(|e| io("create the directory of", e))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(io("write", e));
    }
    // Durability of the rename; not possible on every platform (directories cannot be opened
    // on Windows), and the data itself is already safe, so a failure here is not an error.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
