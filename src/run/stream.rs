//! `rhetor apply` on a corpus read in chunks: a Parquet file of one document per row is read
//! [`chunk_rows`] rows at a time; each chunk is segmented, embedded, given its topics and
//! labels and appended to `documents`, `paragraphs` and `embeddings.parquet` before the next
//! is read. What the comparison and the report need is kept per paragraph in a few numbers
//! (document, label indices, scores) and per group in sums, so memory grows by tens of bytes
//! per paragraph instead of holding the texts, vectors and tables. The run is byte-identical
//! to applying the bundle to the corpus loaded whole (as `rhetor merge` does), for any chunk
//! size: every stage is per paragraph, and the tables are cut into the same row groups.

use super::stages::{self, applied_cluster_details, no_terms_warning};
use super::{
    commit_run, compared_method, embeddings_frame, label_columns, topic_columns, write_codebooks,
    write_comparison, Applied, Ctx, Error, Finish, RunSummary, Stages, Tables, Written,
};
use super::{documents_frame, paragraphs_frame, tables, ChosenK, Counts, EmbedDetails, TableInfo};
use crate::cluster;
use crate::compare::{self, Grouping};
use crate::corpus::{self, Corpus, TableChunks};
use crate::export::{RunDir, ROW_GROUP_ROWS};
use crate::framing::{self, CompareInput, ComparedDimension};
use crate::label::{DimensionLabels, Kind};
use crate::progress::NoProgress;
use crate::report::{self, DimensionMethod, Example, GroupInfo};
use crate::segment::{segment_corpus, Segmentation};
use crate::topics::Topic;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Rows of the corpus read per chunk by default.
///
/// The peak memory of a streamed `apply` is what stays (the bundle, the dimensions' counts)
/// plus one chunk's working set, plus what glibc keeps of the chunks' freed blocks; the last
/// part grows over the first chunks until it levels off, so a smaller chunk lowers the peak
/// and how much it grows with the corpus. TF-IDF bundle, `--group-by outlet`, 2-core Intel
/// Xeon (Sapphire Rapids class), peak RSS at 100k / 1M paragraphs and the ratio, over
/// repeated runs: 50,000 rows 1.44×; 20,000 rows 1.25×; 10,000 rows 1.19–1.23× (five runs);
/// 8,000 rows 1.16–1.20×; 5,000 rows 1.13–1.17× (three runs: 304–316 / 352–362 MiB), at
/// about 20% more wall time at 1M than 10,000 rows (32.5 against 27 s). 5,000 is the
/// smallest that stays under the 1.2× we aim for in every run.
/// (Trimming the heap after each chunk, `malloc_trim(0)`, changed nothing measurable.)
/// The output does not depend on the chunk size: tables are written in row groups of
/// [`ROW_GROUP_ROWS`] whatever it is.
pub const CHUNK_ROWS: usize = 5_000;

/// Rows of the corpus read per chunk: [`CHUNK_ROWS`], or `RHETOR_CHUNK_ROWS` when set
/// (tests use small chunks to check that the run does not depend on them).
pub fn chunk_rows() -> usize {
    std::env::var("RHETOR_CHUNK_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(CHUNK_ROWS)
}

static QUIET: NoProgress = NoProgress;

/// A label dimension's labels so far.
struct DimAcc {
    /// The first chunk's labelling (its per-paragraph vectors emptied): name, codebook,
    /// method, kind and labels.
    template: DimensionLabels,
    names: Vec<String>,
    index: HashMap<String, u32>,
    labels: Vec<Option<u32>>,
    scores: Vec<f32>,
    unsure: usize,
    /// The dimension's counts (not for a multi-label dimension, which is not compared).
    counts: Option<compare::DimensionCounts>,
}

impl DimAcc {
    fn new(d: &DimensionLabels) -> Self {
        let template = DimensionLabels {
            chosen: Vec::new(),
            score: Vec::new(),
            scores: Vec::new(),
            ..d.clone()
        };
        DimAcc {
            names: d.labels.clone(),
            index: d
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.clone(), i as u32))
                .collect(),
            template,
            labels: Vec::new(),
            scores: Vec::new(),
            unsure: 0,
            counts: (d.kind != Kind::Multi).then(|| compare::DimensionCounts::new(d.name.as_str())),
        }
    }

    fn add(&mut self, d: &DimensionLabels) {
        self.unsure += d.chosen.iter().filter(|c| c.is_none()).count();
        if d.kind == Kind::Multi {
            return;
        }
        for c in &d.chosen {
            let l = c.as_ref().map(|l| {
                *self.index.entry(l.clone()).or_insert_with(|| {
                    self.names.push(l.clone());
                    (self.names.len() - 1) as u32
                })
            });
            self.labels.push(l);
        }
        self.scores.extend_from_slice(&d.score);
    }
}

/// The groups so far: each document's value of the group-by column (or the document itself).
struct GroupAcc<'a> {
    by: Option<&'a str>,
    max_pairwise: usize,
    values: Vec<String>,
    index: HashMap<String, u32>,
    doc_value: Vec<u32>,
    missing: Vec<String>,
    docs: Vec<usize>,
    paragraphs: Vec<usize>,
    titles: Vec<Option<String>>,
    /// Term counts per value (dense over the term vocabulary of `n_terms` terms: a
    /// `BTreeMap` per group took 240 MB at 100k paragraphs), dropped once there are more
    /// values than can be compared.
    terms: Option<Vec<Vec<f64>>>,
    n_terms: usize,
    /// The `[time] col` column, and each document's value of it so far.
    time_col: Option<&'a str>,
    times: Vec<String>,
}

impl<'a> GroupAcc<'a> {
    fn new(by: Option<&'a str>, max_pairwise: usize, n_terms: usize) -> Self {
        GroupAcc {
            by,
            max_pairwise,
            values: Vec::new(),
            index: HashMap::new(),
            doc_value: Vec::new(),
            missing: Vec::new(),
            docs: Vec::new(),
            paragraphs: Vec::new(),
            titles: Vec::new(),
            terms: Some(Vec::new()),
            n_terms,
            time_col: None,
            times: Vec::new(),
        }
    }

    /// Adds the documents of a chunk; `first_para` is the index of its first paragraph.
    fn add(
        &mut self,
        corpus: &Corpus,
        seg: &Segmentation,
        term_counts: Option<&sprs::CsMat<f64>>,
    ) -> Result<(), Error> {
        let values = match self.by {
            None => corpus.documents.iter().map(|d| d.id.clone()).collect(),
            Some(col) => framing::group_values(corpus, seg, col)?,
        };
        if let Some(col) = self.time_col {
            self.times.extend(framing::time_values(corpus, seg, col)?);
        }
        self.push(corpus, seg, term_counts, values);
        Ok(())
    }

    fn push(
        &mut self,
        corpus: &Corpus,
        seg: &Segmentation,
        term_counts: Option<&sprs::CsMat<f64>>,
        values: Vec<String>,
    ) {
        let first_doc = self.doc_value.len();
        for ((v, d), s) in values.into_iter().zip(&corpus.documents).zip(&seg.docs) {
            if v.is_empty() && self.missing.len() <= framing::MISSING_EXAMPLES {
                self.missing.push(d.id.clone());
            }
            let id = match self.index.get(&v) {
                Some(&id) => id,
                None => {
                    let id = self.values.len() as u32;
                    self.index.insert(v.clone(), id);
                    self.values.push(v);
                    self.docs.push(0);
                    self.paragraphs.push(0);
                    self.titles.push(None);
                    if self.values.len() > self.max_pairwise {
                        self.terms = None;
                    }
                    if let Some(t) = &mut self.terms {
                        t.push(vec![0.0; self.n_terms]);
                    }
                    id
                }
            } as usize;
            self.docs[id] += 1;
            self.titles[id] = if self.docs[id] == 1 {
                d.title.clone().or_else(|| s.title.clone())
            } else {
                None
            };
            self.doc_value.push(id as u32);
        }
        for (i, p) in seg.paragraphs.iter().enumerate() {
            let v = self.doc_value[first_doc + p.doc] as usize;
            self.paragraphs[v] += 1;
            if let (Some(terms), Some(x)) = (&mut self.terms, term_counts) {
                if let Some(row) = x.outer_view(i) {
                    // Counts are whole numbers: their sums are exact in any order.
                    for (j, &c) in row.iter() {
                        terms[v][j] += c;
                    }
                }
            }
        }
    }

    /// The grouping of the whole corpus, the groups' descriptions and term counts.
    #[allow(clippy::type_complexity)]
    fn finish(
        self,
        warnings: &mut Vec<String>,
    ) -> Result<(Grouping, Vec<GroupInfo>, Vec<Vec<(usize, f64)>>), Error> {
        let (grouping, of_value): (Grouping, Vec<usize>) = match self.by {
            None => {
                let g = Grouping::identity(self.values.clone());
                let of_value = (0..self.values.len()).collect();
                (g, of_value)
            }
            Some(col) => {
                let empty = self.index.get("").copied();
                let n_missing =
                    empty.map_or(0, |e| self.doc_value.iter().filter(|&&v| v == e).count());
                let g = framing::grouping_from_values(
                    col,
                    self.values.clone(),
                    self.doc_value.clone(),
                    n_missing,
                    &self.missing,
                    warnings,
                )?;
                // The group of each value: that of its first document.
                let mut of_value = vec![usize::MAX; self.values.len()];
                for (&v, &g) in self.doc_value.iter().zip(&g.doc_group) {
                    if of_value[v as usize] == usize::MAX {
                        of_value[v as usize] = g;
                    }
                }
                (g, of_value)
            }
        };
        let n = grouping.group_names.len();
        let mut infos: Vec<GroupInfo> = grouping
            .group_names
            .iter()
            .map(|name| GroupInfo {
                name: name.clone(),
                n_docs: 0,
                n_paragraphs: 0,
                title: None,
            })
            .collect();
        let keep_terms = self.terms.is_some() && n <= self.max_pairwise;
        let mut terms: Vec<Vec<f64>> = if keep_terms {
            vec![vec![0.0; self.n_terms]; n]
        } else {
            Vec::new()
        };
        let mut value_terms = self.terms.unwrap_or_default();
        for v in 0..self.values.len() {
            let g = of_value[v];
            let info = &mut infos[g];
            let before = info.n_docs;
            info.n_docs += self.docs[v] as u64;
            info.n_paragraphs += self.paragraphs[v] as u64;
            info.title = if before == 0 && self.docs[v] == 1 {
                self.titles[v].clone()
            } else {
                None
            };
            if keep_terms {
                let from = std::mem::take(&mut value_terms[v]);
                for (t, c) in terms[g].iter_mut().zip(from) {
                    *t += c;
                }
            }
        }
        let group_terms = if keep_terms {
            terms
                .into_iter()
                .map(|row| {
                    row.into_iter()
                        .enumerate()
                        .filter(|&(_, c)| c != 0.0)
                        .collect()
                })
                .collect()
        } else {
            vec![Vec::new(); n]
        };
        Ok((grouping, infos, group_terms))
    }
}

/// Everything kept of the chunks.
struct Acc {
    counts: Counts,
    skipped: Vec<corpus::Skipped>,
    bad_dates: usize,
    first_bad_date: Option<String>,
    no_terms: usize,
    embed: Option<EmbedDetails>,
    para_doc: Vec<u32>,
    topic: Vec<u32>,
    topic_prob: Vec<f32>,
    topic_size: Vec<usize>,
    /// Per topic, the paragraphs nearest its centroid so far: (squared distance, index).
    reps: Vec<Vec<(f64, usize)>>,
    dims: Vec<DimAcc>,
    /// The topic dimension's label names and counts (the other dimensions' are in `dims`).
    topic_names: Vec<String>,
    topic_counts: compare::DimensionCounts,
    /// Paragraphs whose columns (`para_doc`, `topic`, `topic_prob`, each dimension's labels
    /// and scores) are in the spill file, and that file.
    spilled: usize,
    spill: Option<(PathBuf, std::io::BufWriter<std::fs::File>)>,
}

fn spill_err(path: &Path, source: std::io::Error) -> Error {
    crate::export::ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
    .into()
}

/// After each chunk, its paragraphs are added to the dimensions' counts (4 bytes per
/// document and dimension), and the per-paragraph columns are written to a file in the
/// staging folder, read back a chunk at a time only to find the claims' example paragraphs:
/// kept in memory until the comparison they were 36–44 bytes per paragraph, and most of the
/// growth of the peak with the corpus.
impl Acc {
    /// Paragraphs so far.
    fn n_paragraphs(&self) -> usize {
        self.spilled + self.para_doc.len()
    }

    /// Appends the chunk's columns to the spill file (created in `dir`) and empties them.
    fn spill_chunk(&mut self, dir: &Path) -> Result<(), Error> {
        use std::io::Write;
        let n = self.para_doc.len();
        if n == 0 {
            return Ok(());
        }
        if self.spill.is_none() {
            let path = dir.join(".paragraph-columns.bin");
            let f = std::fs::File::create(&path).map_err(|e| spill_err(&path, e))?;
            self.spill = Some((path, std::io::BufWriter::new(f)));
        }
        let Some((path, w)) = &mut self.spill else {
            return Ok(());
        };
        let mut buf: Vec<u8> = Vec::with_capacity(n * (12 + 8 * self.dims.len()) + 64);
        buf.extend((n as u64).to_le_bytes());
        buf.extend(self.para_doc.iter().flat_map(|x| x.to_le_bytes()));
        buf.extend(self.topic.iter().flat_map(|x| x.to_le_bytes()));
        buf.extend(
            self.topic_prob
                .iter()
                .flat_map(|x| x.to_bits().to_le_bytes()),
        );
        for d in &self.dims {
            buf.extend((d.labels.len() as u64).to_le_bytes());
            buf.extend(
                d.labels
                    .iter()
                    .flat_map(|l| l.unwrap_or(u32::MAX).to_le_bytes()),
            );
            buf.extend(d.scores.iter().flat_map(|x| x.to_bits().to_le_bytes()));
        }
        w.write_all(&buf).map_err(|e| spill_err(path, e))?;
        self.count_chunk();
        self.spilled += n;
        self.para_doc.clear();
        self.topic.clear();
        self.topic_prob.clear();
        for d in &mut self.dims {
            d.labels.clear();
            d.scores.clear();
        }
        Ok(())
    }

    /// Adds the chunk's paragraphs (not yet spilled) to the dimensions' counts.
    fn count_chunk(&mut self) {
        let topic: Vec<Option<u32>> = self.topic.iter().map(|&t| Some(t)).collect();
        framing::add_counts(
            &mut self.topic_counts,
            &self.topic_names,
            &self.para_doc,
            &topic,
        );
        for d in &mut self.dims {
            if let Some(c) = &mut d.counts {
                framing::add_counts(c, &d.names, &self.para_doc, &d.labels);
            }
        }
    }

    /// Reads the spilled columns back a chunk at a time, gives each chunk to `f` (its first
    /// paragraph, documents, topics, topic probabilities, and per dimension its labels and
    /// scores), and removes the file.
    #[allow(clippy::type_complexity)]
    fn read_spill(
        &mut self,
        mut f: impl FnMut(usize, &[u32], &[u32], &[f32], &[(Vec<Option<u32>>, Vec<f32>)]),
    ) -> Result<(), Error> {
        use std::io::{Read, Write};
        let Some((path, mut w)) = self.spill.take() else {
            return Ok(());
        };
        w.flush().map_err(|e| spill_err(&path, e))?;
        drop(w);
        let file = std::fs::File::open(&path).map_err(|e| spill_err(&path, e))?;
        let mut r = std::io::BufReader::new(file);
        let mut bytes: Vec<u8> = Vec::new();
        let mut read_words =
            |r: &mut std::io::BufReader<std::fs::File>, n: usize| -> Result<Vec<u32>, Error> {
                bytes.resize(4 * n, 0);
                r.read_exact(&mut bytes).map_err(|e| spill_err(&path, e))?;
                Ok(bytes
                    .chunks_exact(4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect())
            };
        let read_len = |r: &mut std::io::BufReader<std::fs::File>| -> Result<usize, Error> {
            let mut b = [0u8; 8];
            r.read_exact(&mut b).map_err(|e| spill_err(&path, e))?;
            Ok(u64::from_le_bytes(b) as usize)
        };
        let mut done = 0;
        while done < self.spilled {
            let n = read_len(&mut r)?;
            let para_doc = read_words(&mut r, n)?;
            let topic = read_words(&mut r, n)?;
            let prob: Vec<f32> = read_words(&mut r, n)?
                .into_iter()
                .map(f32::from_bits)
                .collect();
            let mut dims = Vec::with_capacity(self.dims.len());
            for _ in 0..self.dims.len() {
                let m = read_len(&mut r)?;
                let labels = read_words(&mut r, m)?
                    .into_iter()
                    .map(|l| (l != u32::MAX).then_some(l))
                    .collect();
                let scores = read_words(&mut r, m)?
                    .into_iter()
                    .map(f32::from_bits)
                    .collect();
                dims.push((labels, scores));
            }
            f(done, &para_doc, &topic, &prob, &dims);
            done += n;
        }
        drop(r);
        let _ = std::fs::remove_file(&path);
        Ok(())
    }

    fn add_rep(&mut self, topic: usize, d: f64, i: usize, n: usize) {
        let r = &mut self.reps[topic];
        let key = |a: &(f64, usize)| *a;
        let pos = r
            .binary_search_by(|a| key(a).0.total_cmp(&d).then(a.1.cmp(&i)))
            .unwrap_or_else(|p| p);
        if pos < n {
            r.insert(pos, (d, i));
            r.truncate(n);
        }
    }
}

/// Applies the bundle to the corpus of `chunks` and writes the run (see the [module
/// docs](self)).
pub(super) fn apply_streaming(
    a: Applied<'_>,
    dir: RunDir,
    mut chunks: TableChunks,
    mut ctx: Ctx<'_>,
) -> Result<RunSummary, Error> {
    let b = a.bundle;
    let cfg = a.cfg;
    let c = &cfg.config;
    let progress = ctx.progress;
    let mut tables = Tables::new(&dir, cfg);
    let kv = tables.kv.clone();
    let k = b.centroids.nrows();
    let n_reps = cfg.topics.params().representatives;
    // Topic ids and labels for the paragraph columns (sizes and representatives come last).
    let stub: Vec<Topic> = b
        .manifest
        .topics
        .iter()
        .enumerate()
        .map(|(id, t)| Topic {
            id,
            size: 0,
            label: t.label.clone(),
            terms: t.terms.clone(),
            scores: t.scores.clone(),
            representatives: Vec::new(),
            stability: None,
            label_from: crate::topics::label_from::of(&t.label_from),
        })
        .collect();
    let mut documents = dir.table_writer("documents.parquet", &kv)?;
    let mut paragraphs = dir.table_writer("paragraphs.parquet", &kv)?;
    let mut embeddings = dir.table_writer("embeddings.parquet", &kv)?;
    let mut acc = Acc {
        counts: Counts::default(),
        skipped: Vec::new(),
        bad_dates: 0,
        first_bad_date: None,
        no_terms: 0,
        embed: None,
        para_doc: Vec::new(),
        topic: Vec::new(),
        topic_prob: Vec::new(),
        topic_size: vec![0; k],
        reps: vec![Vec::new(); k],
        dims: Vec::new(),
        topic_names: framing::topic_label_names(&stub),
        topic_counts: compare::DimensionCounts::new("topic"),
        spilled: 0,
        spill: None,
    };
    let mut groups = GroupAcc::new(
        c.groups.by.as_deref(),
        c.groups.max_pairwise,
        b.term_vectorizer.vocabulary().len(),
    );
    groups.time_col = c.time.col.as_deref();
    let is_tfidf = matches!(c.embed, crate::embed::EmbedConfig::Tfidf(_));
    let n_rows = chunks.n_rows() as u64;
    let mut rows_done = 0u64;
    progress.start("apply", n_rows);
    progress.message("chunks of the corpus: segment, embed, topics, labels, tables");
    for chunk in chunks.by_ref() {
        ctx.progress = &QUIET;
        let corpus = chunk?;
        ctx.timer.lap("load");
        let seg = segment_corpus(&corpus, c.corpus.unit, &cfg.segment, &QUIET);
        ctx.timer.lap("segment");
        // counts
        let n = &mut acc.counts;
        n.documents += corpus.documents.len();
        n.paragraphs += seg.paragraphs.len();
        n.headings += seg.docs.iter().map(|d| d.n_headings).sum::<usize>();
        n.skipped += corpus.skipped.len();
        n.skipped_unreadable += corpus
            .skipped
            .iter()
            .filter(|s| s.reason.is_failure())
            .count();
        n.skipped_empty += corpus
            .skipped
            .iter()
            .filter(|s| !s.reason.is_failure())
            .count();
        for (r, m) in &seg.dropped {
            *n.dropped_by_reason.entry(r.clone()).or_default() += m;
            n.dropped += m;
        }
        for d in &corpus.documents {
            if let Some(date) = d.date.as_deref() {
                if corpus::parse_date(date).is_none() {
                    acc.bad_dates += 1;
                    acc.first_bad_date.get_or_insert_with(|| date.to_string());
                }
            }
        }
        acc.skipped.extend(corpus.skipped.iter().cloned());
        let first_doc = groups.doc_value.len() as u32;
        if !corpus.documents.is_empty() {
            documents.push(documents_frame(&corpus, &seg)?)?;
        }
        let texts: Vec<&str> = seg
            .paragraphs
            .iter()
            .map(|p| p.para.text.as_str())
            .collect();
        if !texts.is_empty() {
            let before = ctx.warnings.len();
            let vectors = stages::embed_apply(b, &texts, &mut ctx)?;
            ctx.warnings.truncate(before);
            if is_tfidf {
                acc.no_terms += vectors.x.outer_iterator().filter(|r| r.nnz() == 0).count();
            }
            if let Some(e) = ctx.details.embed.take() {
                acc.embed = Some(match acc.embed.take() {
                    None => e,
                    Some(prev) => super::shard::add_details(prev, &e),
                });
            }
            let assignment = cluster::assign_nearest(b.centroids.view(), vectors.embedding.view())?;
            ctx.timer.lap("cluster");
            let first_para = acc.n_paragraphs();
            for (i, (row, &l)) in vectors
                .embedding
                .rows()
                .into_iter()
                .zip(&assignment.labels)
                .enumerate()
            {
                acc.topic_size[l] += 1;
                let d: f64 = row
                    .iter()
                    .zip(b.centroids.row(l))
                    .map(|(&x, &y)| {
                        let t = x as f64 - y as f64;
                        t * t
                    })
                    .sum();
                acc.add_rep(l, d, first_para + i, n_reps);
            }
            ctx.timer.lap("topics");
            let labelled = stages::label(
                &cfg.codebooks,
                &cfg.classifiers,
                &c.label,
                &texts,
                &vectors,
                &mut ctx,
            )?;
            if acc.dims.is_empty() {
                acc.dims = labelled.iter().map(DimAcc::new).collect();
            }
            for (d, l) in acc.dims.iter_mut().zip(&labelled) {
                d.add(l);
            }
            let mut extra = topic_columns(&assignment, &stub);
            extra.extend(label_columns(&labelled));
            // The chunk's largest parts are not all kept at once: the TF-IDF rows and the
            // labels are dropped before the term counts, these before the tables are built.
            drop(labelled);
            let embedding = vectors.embedding;
            drop(vectors.x);
            groups.add(&corpus, &seg, Some(&b.term_vectorizer.counts(&texts)))?;
            embeddings.push(embeddings_frame(&corpus, &seg, embedding.view())?)?;
            drop(embedding);
            paragraphs.push(paragraphs_frame(&corpus, &seg, extra)?)?;
            ctx.timer.lap("export");
            acc.para_doc
                .extend(seg.paragraphs.iter().map(|p| first_doc + p.doc as u32));
            acc.topic
                .extend(assignment.labels.iter().map(|&l| l as u32));
            acc.topic_prob.extend_from_slice(&assignment.prob);
        }
        if texts.is_empty() {
            groups.add(&corpus, &seg, None)?;
        }
        acc.spill_chunk(&dir.staging_dir()?)?;
        drop((corpus, seg));
        ctx.progress = progress;
        let rows = chunk_rows() as u64;
        progress.inc(rows.min(n_rows - rows_done));
        rows_done = (rows_done + rows).min(n_rows);
    }
    progress.finish();
    if acc.counts.documents == 0 {
        return Err(chunks.empty_error(&acc.skipped).into());
    }
    if acc.counts.paragraphs == 0 {
        return Err(Error::NoParagraphs(a.corpus_path.to_path_buf()));
    }
    // The warnings in the order of a run on the whole corpus.
    if let Some(first) = &acc.first_bad_date {
        ctx.warnings
            .push(corpus::bad_dates_warning(acc.bad_dates, first));
    }
    if acc.no_terms > 0 {
        ctx.warnings
            .push(no_terms_warning(acc.no_terms, acc.counts.paragraphs));
    }
    if b.manifest.rhetor_version != crate::VERSION {
        ctx.warnings.push(format!(
            "the bundle was fitted by rhetor {}, this is rhetor {}",
            b.manifest.rhetor_version,
            crate::VERSION
        ));
    }
    ctx.details.embed = acc.embed.take();
    ctx.details.cluster = Some(applied_cluster_details(b));
    if let Some(details) = &mut ctx.details.label {
        for (d, a) in details.iter_mut().zip(&acc.dims) {
            d.unsure = a.unsure;
        }
    }

    for (name, w) in [
        ("documents.parquet", documents),
        ("paragraphs.parquet", paragraphs),
        ("embeddings.parquet", embeddings),
    ] {
        let (rows, columns) = w.finish()?;
        tables
            .info
            .insert(name.to_string(), TableInfo { rows, columns });
    }
    write_codebooks(&dir, cfg)?;
    dir.write_json("tfidf_vectorizer.json", &b.vectorizer)?;

    let topics: Vec<Topic> = stub
        .into_iter()
        .zip(acc.topic_size.iter().zip(&acc.reps))
        .map(|(t, (&size, reps))| Topic {
            size,
            representatives: reps.iter().map(|&(_, i)| i).collect(),
            ..t
        })
        .collect();

    // compare
    let times = std::mem::take(&mut groups.times);
    let (grouping, group_infos, group_terms) = groups.finish(&mut ctx.warnings)?;
    // The dimensions' names and methods; their labels are in the counts.
    let mut dims = vec![ComparedDimension {
        name: "topic".to_string(),
        names: framing::topic_label_names(&topics),
        labels: Vec::new(),
        scores: Vec::new(),
        method: DimensionMethod::Topics,
    }];
    let mut counts = vec![std::mem::replace(
        &mut acc.topic_counts,
        compare::DimensionCounts::new("topic"),
    )];
    // Per labelled dimension, its index among the dimensions compared.
    let mut compared_as = Vec::with_capacity(acc.dims.len());
    for d in &mut acc.dims {
        let t = &d.template;
        let method = compared_method(t, &mut ctx.warnings);
        let (Some(method), Some(c)) = (method, d.counts.take()) else {
            compared_as.push(None);
            continue;
        };
        compared_as.push(Some(dims.len()));
        dims.push(ComparedDimension {
            name: t.name.clone(),
            names: d.names.clone(),
            labels: Vec::new(),
            scores: Vec::new(),
            method,
        });
        counts.push(c);
    }
    // The shares over time need the counts the comparison consumes.
    let time_counts = c.time.col.is_some().then(|| counts.clone());
    progress.start("compare", 0);
    let (mut cmp, wanted) = framing::compare_with(
        CompareInput {
            counts,
            groups: group_infos,
            group_terms,
        },
        &grouping,
        &dims,
        b.term_vectorizer.vocabulary(),
        &cfg.compare,
        &c.groups,
        c.seed,
        progress,
    )?;
    // The claims' example paragraphs, from the spilled columns.
    let mut picker = framing::ExamplePicker::new(&wanted);
    let doc_group = &grouping.doc_group;
    acc.read_spill(|first, para_doc, topic, prob, labelled| {
        let topic: Vec<Option<u32>> = topic.iter().map(|&t| Some(t)).collect();
        picker.scan(0, first, para_doc, &topic, prob, doc_group);
        for ((labels, scores), to) in labelled.iter().zip(&compared_as) {
            if let Some(dim) = *to {
                picker.scan(dim, first, para_doc, labels, scores, doc_group);
            }
        }
    })?;
    let wanted = picker.finish();
    progress.finish();
    ctx.timer.lap("compare");
    ctx.warnings.extend(cmp.warnings.iter().cloned());

    // The paragraphs quoted: representatives and claims' examples, read back.
    let mut quoted: BTreeSet<usize> = topics
        .iter()
        .flat_map(|t| t.representatives.iter().copied())
        .collect();
    quoted.extend(wanted.iter().flatten().copied());
    let staged = dir.staging_dir()?.join("paragraphs.parquet");
    let found = read_paragraphs(&staged, &quoted)?;
    let example = |i: usize| -> Example {
        let (doc_id, para_id, text) = &found[&i];
        Example {
            doc_id: doc_id.clone(),
            para_id: *para_id,
            text: framing::excerpt(text, 400),
        }
    };
    for (claim, idx) in cmp.claims.iter_mut().zip(&wanted) {
        claim.examples = idx.iter().map(|&i| example(i)).collect();
    }
    let mut write = |name: &str, df: &mut polars::prelude::DataFrame| tables.write(name, df);
    write(
        "topics.parquet",
        &mut tables::topics_frame_with(&topics, |i| {
            let (d, p, _) = &found[&i];
            (d.clone(), *p)
        })?,
    )?;
    write_comparison(&mut write, &cmp, c, &topics)?;
    let time = match &time_counts {
        Some(tc) => {
            let series = c.groups.by.is_some().then_some(&grouping);
            Some(super::write_time(
                &mut write, tc, &times, series, cfg, &topics, &mut ctx,
            )?)
        }
        None => None,
    };
    let topic_infos = framing::topic_infos_with(&topics, example);
    let mut data = super::report_data::report_data(
        a.corpus_path,
        &acc.counts,
        cfg,
        topic_infos,
        &dims,
        cmp,
        &ctx.warnings,
        &ctx.details,
        Some(&a.applied),
    );
    data.time = time;
    data.topic_map = Some(report::topic_map(b.centroids.view()));
    dir.write_json("report.json", &data)?;
    for (name, text) in report::render_all(&data) {
        dir.write_text(name, &text)?;
    }
    ctx.timer.lap("report");
    let mc = &b.manifest.cluster;
    let chosen_k = Some(ChosenK {
        k: mc.k,
        automatic: mc.k_chosen_automatically,
        searched: None,
        from_bundle: true,
    });
    let counts = acc.counts;
    let info = tables.info;
    commit_run(
        Finish {
            command: a.command,
            corpus_path: a.corpus_path,
            cfg,
            stages: Stages::All,
            applied: Some(a.applied),
            chosen_k,
            coded: a.opts.coded.as_deref(),
            out: a.out,
        },
        dir,
        Written {
            tables: info,
            counts,
            inputs: vec![chunks.input.clone()],
            skipped: acc.skipped,
            report_file: Some("report.html"),
            report_data: Some(data),
        },
        ctx,
    )
}

/// The document id, paragraph id and text of the paragraphs `wanted` (row indices) of a
/// written `paragraphs.parquet`, read a row group at a time.
fn read_paragraphs(
    path: &Path,
    wanted: &BTreeSet<usize>,
) -> Result<HashMap<usize, (String, u32, String)>, Error> {
    use polars::prelude::*;
    let mut out = HashMap::new();
    let err = |message: String| crate::export::ExportError::Read {
        path: path.to_path_buf(),
        message,
    };
    let mut start = 0usize;
    let mut todo = wanted.iter().copied().peekable();
    while let Some(&next) = todo.peek() {
        let group = next / ROW_GROUP_ROWS * ROW_GROUP_ROWS;
        start = start.max(group);
        let f = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
        let df = ParquetReader::new(f)
            .with_columns(Some(vec![
                "doc_id".to_string(),
                "para_id".to_string(),
                "text".to_string(),
            ]))
            .with_slice(Some((start, ROW_GROUP_ROWS)))
            .finish()
            .map_err(|e| err(e.to_string()))?;
        let (doc, para, text) = (
            df.column("doc_id").and_then(|c| c.str().cloned()),
            df.column("para_id").and_then(|c| c.u32().cloned()),
            df.column("text").and_then(|c| c.str().cloned()),
        );
        let (doc, para, text) = (
            doc.map_err(|e| err(e.to_string()))?,
            para.map_err(|e| err(e.to_string()))?,
            text.map_err(|e| err(e.to_string()))?,
        );
        while let Some(&i) = todo.peek() {
            if i >= start + df.height() {
                break;
            }
            let r = i - start;
            out.insert(
                i,
                (
                    doc.get(r).unwrap_or_default().to_string(),
                    para.get(r).unwrap_or_default(),
                    text.get(r).unwrap_or_default().to_string(),
                ),
            );
            todo.next();
        }
        if df.height() == 0 {
            break;
        }
        start += ROW_GROUP_ROWS;
    }
    Ok(out)
}
