//! The encoder itself: weights read from `model.safetensors`, packed, and run.

use std::path::Path;

use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};

use crate::config::ModelConfig;
use crate::gemm::{self, gemm, kernel_name, Format, Packed};
use crate::ops::{self, Activation};

/// Rows per parallel task in the row-wise steps (embeddings, LayerNorm, activation).
const ROWS_PER_TASK: usize = 64;

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Linear {
    w: Packed,
    b: Vec<f32>,
}

struct Layer {
    qkv: Linear,
    attn_out: Linear,
    ln_attn: Norm,
    up: Linear,
    down: Linear,
    ln_out: Norm,
}

/// Activation buffers, reused from batch to batch (fresh large allocations cost page
/// faults: 4 % of the time when every batch allocated its own).
#[derive(Default)]
pub struct Workspace {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    up: Vec<f32>,
}

/// `buf` as `n` zeros, keeping its allocation.
fn zeroed(buf: &mut Vec<f32>, n: usize) -> &mut [f32] {
    buf.clear();
    buf.resize(n, 0.0);
    buf
}

/// `buf` as `n` values, whatever they hold: for buffers every value of which is written
/// before it is read (the products' outputs), so they need no zeroing on each call.
fn sized(buf: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if buf.len() < n {
        buf.resize(n, 0.0);
    }
    &mut buf[..n]
}

/// A BERT encoder with packed weights.
pub struct NativeBert {
    hidden: usize,
    heads: usize,
    inter: usize,
    eps: f32,
    act: Activation,
    word: Vec<f32>,
    position: Vec<f32>,
    type0: Vec<f32>,
    max_positions: usize,
    emb_ln: Norm,
    layers: Vec<Layer>,
    /// Attention's products on AMX tiles too (the fast mode where its format is AMX).
    attention_amx: bool,
}

/// Tensors of a safetensors file by name, with the `bert.` prefix some checkpoints use.
///
/// Read with the `safetensors` crate from a memory map; f16, bf16 and f64 tensors are widened
/// (or, for f64, rounded) to f32 exactly as candle's `to_dtype(F32)` does, so both engines
/// see the same weights.
struct Weights<'a> {
    st: SafeTensors<'a>,
    prefix: String,
}

/// `bytes` (little-endian, `N` bytes per value) decoded with `f`.
fn decode<const N: usize>(bytes: &[u8], f: impl Fn([u8; N]) -> f32) -> Vec<f32> {
    bytes
        .chunks_exact(N)
        .map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            f(a)
        })
        .collect()
}

impl<'a> Weights<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, String> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
        let prefix = if st.tensor("embeddings.word_embeddings.weight").is_ok() {
            String::new()
        } else {
            "bert.".to_string()
        };
        Ok(Self { st, prefix })
    }

    /// The tensor `name` as f32 values, checked to have `shape`.
    fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, String> {
        let full = format!("{}{name}", self.prefix);
        let t = self
            .st
            .tensor(&full)
            .map_err(|e| format!("tensor {full}: {e}"))?;
        if t.shape() != shape {
            return Err(format!(
                "tensor {full} has shape {:?}, config.json implies {shape:?}",
                t.shape()
            ));
        }
        let data = t.data();
        Ok(match t.dtype() {
            Dtype::F32 => decode(data, f32::from_le_bytes),
            Dtype::F16 => decode(data, |b| half::f16::from_le_bytes(b).to_f32()),
            Dtype::BF16 => decode(data, |b| half::bf16::from_le_bytes(b).to_f32()),
            Dtype::F64 => decode(data, |b| f64::from_le_bytes(b) as f32),
            other => {
                return Err(format!(
                    "tensor {full} has dtype {other:?}; rhetor reads f32, f16, bf16 and f64 weights"
                ))
            }
        })
    }

    /// A LayerNorm's weight and bias (`weight`/`bias`, or the older `gamma`/`beta`).
    fn norm(&self, name: &str, h: usize) -> Result<Norm, String> {
        match (
            self.get(&format!("{name}.weight"), &[h]),
            self.get(&format!("{name}.bias"), &[h]),
        ) {
            (Ok(gamma), Ok(beta)) => Ok(Norm { gamma, beta }),
            (Err(e), _) | (_, Err(e)) => match (
                self.get(&format!("{name}.gamma"), &[h]),
                self.get(&format!("{name}.beta"), &[h]),
            ) {
                (Ok(gamma), Ok(beta)) => Ok(Norm { gamma, beta }),
                _ => Err(e),
            },
        }
    }

    fn linear(&self, name: &str, out: usize, inp: usize, fmt: Format) -> Result<Linear, String> {
        let w = self.get(&format!("{name}.weight"), &[out, inp])?;
        let b = self.get(&format!("{name}.bias"), &[out])?;
        Ok(Linear {
            w: Packed::from_rows(&w, out, inp, inp, fmt),
            b,
        })
    }
}

impl NativeBert {
    /// Loads `model.safetensors` for the model `config.json` describes; with `bf16`, the
    /// weight matrices are packed in bf16 (the caller checks [`gemm::bf16_supported`]).
    /// Errors are messages (rhetor reports them as a corrupt weights file).
    pub fn load(path: &Path, cfg: &ModelConfig, bf16: bool) -> Result<Self, String> {
        let act = match cfg.hidden_act.as_str() {
            "gelu" => Activation::GeluErf,
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            other => return Err(format!("hidden_act {other:?} is not supported")),
        };
        // The fast mode's format on this CPU (bf16 or fp16; the caller checked that there is
        // one, see `gemm::fast_format`).
        let fmt = match (bf16, gemm::fast_format()) {
            (true, Some(f)) => f,
            _ => Format::F32,
        };
        tracing::debug!(
            kernel = kernel_name(bf16),
            cpu = crate::cpu::cpu_model(),
            "native encoder"
        );
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        // SAFETY: the file is memory-mapped read-only; rhetor never writes model files while
        // a model is loaded (changing the file underneath is undefined, as for any mmap). The
        // map lives only while the weights are copied out of it.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| e.to_string())?;
        let w = Weights::parse(&map)?;
        let h = cfg.hidden_size;
        let inter = cfg.intermediate_size;
        let word = w.get("embeddings.word_embeddings.weight", &[cfg.vocab_size, h])?;
        let position = w.get(
            "embeddings.position_embeddings.weight",
            &[cfg.max_position_embeddings, h],
        )?;
        let types = w.get(
            "embeddings.token_type_embeddings.weight",
            &[cfg.type_vocab_size, h],
        )?;
        let emb_ln = w.norm("embeddings.LayerNorm", h)?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            // Q, K and V stacked into one (3h × h) product.
            let mut wqkv = Vec::with_capacity(3 * h * h);
            let mut bqkv = Vec::with_capacity(3 * h);
            for part in ["query", "key", "value"] {
                wqkv.extend(w.get(&format!("{p}.attention.self.{part}.weight"), &[h, h])?);
                bqkv.extend(w.get(&format!("{p}.attention.self.{part}.bias"), &[h])?);
            }
            layers.push(Layer {
                qkv: Linear {
                    w: Packed::from_rows(&wqkv, 3 * h, h, h, fmt),
                    b: bqkv,
                },
                attn_out: w.linear(&format!("{p}.attention.output.dense"), h, h, fmt)?,
                ln_attn: w.norm(&format!("{p}.attention.output.LayerNorm"), h)?,
                up: w.linear(&format!("{p}.intermediate.dense"), inter, h, fmt)?,
                down: w.linear(&format!("{p}.output.dense"), h, inter, fmt)?,
                ln_out: w.norm(&format!("{p}.output.LayerNorm"), h)?,
            });
        }
        Ok(Self {
            hidden: h,
            heads: cfg.num_attention_heads,
            inter,
            eps: cfg.layer_norm_eps as f32,
            act,
            word,
            position,
            type0: types[..h].to_vec(),
            max_positions: cfg.max_position_embeddings,
            emb_ln,
            layers,
            attention_amx: fmt == Format::Amx,
        })
    }

    /// Hidden size.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// Runs the encoder on `seqs` (token ids, at most `max_position_embeddings` each, every
    /// id below `vocab_size`): returns the last hidden states of all tokens, sequence after
    /// sequence (`Σ len × hidden`), in `ws`.
    pub fn forward<'w>(&self, seqs: &[&[u32]], ws: &'w mut Workspace) -> &'w [f32] {
        let h = self.hidden;
        let mut starts = Vec::with_capacity(seqs.len() + 1);
        let mut t = 0;
        for s in seqs {
            starts.push(t);
            t += s.len();
        }
        starts.push(t);
        let ids: Vec<(u32, usize)> = seqs
            .iter()
            .flat_map(|s| s.iter().enumerate().map(|(p, &id)| (id, p)))
            .collect();

        // Embeddings + LayerNorm.
        let Workspace {
            x,
            qkv,
            ctx,
            tmp,
            up,
        } = ws;
        let x = zeroed(x, t * h);
        x.par_chunks_mut(ROWS_PER_TASK * h)
            .zip(ids.par_chunks(ROWS_PER_TASK))
            .for_each(|(rows, ids)| {
                for (row, &(id, p)) in rows.chunks_mut(h).zip(ids) {
                    let word = &self.word[id as usize * h..][..h];
                    let pos = &self.position[p.min(self.max_positions - 1) * h..][..h];
                    for (((o, &a), &b), &c) in row.iter_mut().zip(word).zip(pos).zip(&self.type0) {
                        *o = a + c + b;
                    }
                }
                ops::add_layer_norm(
                    rows,
                    None,
                    h,
                    &self.emb_ln.gamma,
                    &self.emb_ln.beta,
                    self.eps,
                );
            });

        let qkv = sized(qkv, t * 3 * h);
        let ctx = sized(ctx, t * h);
        let tmp = sized(tmp, t * h);
        let up = sized(up, t * self.inter);
        for l in &self.layers {
            gemm(x, h, t, &l.qkv.w, qkv, 3 * h, Some(&l.qkv.b), true);
            self.attention(qkv, &starts, ctx);
            gemm(ctx, h, t, &l.attn_out.w, tmp, h, Some(&l.attn_out.b), true);
            self.residual_norm(x, tmp, &l.ln_attn);
            gemm(x, h, t, &l.up.w, up, self.inter, Some(&l.up.b), true);
            up.par_chunks_mut(ROWS_PER_TASK * self.inter)
                .for_each(|c| ops::activate(c, self.act));
            gemm(up, self.inter, t, &l.down.w, tmp, h, Some(&l.down.b), true);
            self.residual_norm(x, tmp, &l.ln_out);
        }
        x
    }

    /// `x = LayerNorm(x + y)`, rows in parallel.
    fn residual_norm(&self, x: &mut [f32], y: &[f32], norm: &Norm) {
        let h = self.hidden;
        x.par_chunks_mut(ROWS_PER_TASK * h)
            .zip(y.par_chunks(ROWS_PER_TASK * h))
            .for_each(|(x, y)| {
                ops::add_layer_norm(x, Some(y), h, &norm.gamma, &norm.beta, self.eps)
            });
    }

    /// Self-attention of every sequence (rows `starts[s]..starts[s+1]` of `qkv`, whose row is
    /// `[q | k | v]`), written to `ctx` (heads side by side), sequences in parallel.
    fn attention(&self, qkv: &[f32], starts: &[usize], ctx: &mut [f32]) {
        let h = self.hidden;
        let dh = h / self.heads;
        let scale = 1.0 / (dh as f32).sqrt();
        let mut parts = Vec::with_capacity(starts.len() - 1);
        let mut rest = ctx;
        for w in starts.windows(2) {
            let (mine, tail) = rest.split_at_mut((w[1] - w[0]) * h);
            parts.push((w[0], w[1] - w[0], mine));
            rest = tail;
        }
        parts
            .into_par_iter()
            .for_each_init(Vec::new, |scores, (r0, len, out)| {
                if len == 0 {
                    return;
                }
                let base = &qkv[r0 * 3 * h..];
                let scores = sized(scores, len * len);
                for head in 0..self.heads {
                    let q = &base[head * dh..];
                    let (k, v) = (&base[h + head * dh..], &base[2 * h + head * dh..]);
                    let keys = if self.attention_amx {
                        Packed::amx_from_rows(k, len, dh, 3 * h)
                    } else {
                        Packed::from_rows(k, len, dh, 3 * h, Format::F32)
                    };
                    gemm(q, 3 * h, len, &keys, scores, len, None, false);
                    ops::softmax_rows(scores, len, len, len, scale);
                    let values = if self.attention_amx {
                        Packed::amx_from_kn(v, len, dh, 3 * h)
                    } else {
                        Packed::from_kn(v, len, dh, 3 * h)
                    };
                    gemm(
                        scores,
                        len,
                        len,
                        &values,
                        &mut out[head * dh..],
                        h,
                        None,
                        false,
                    );
                }
            });
    }
}
