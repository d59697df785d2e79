//! Sufficient statistics of a dimension: per document, how many of its units carry each
//! label and how many carry none. Shares and divergence tests need nothing else.

use super::{CompareError, Dimension, DocCounts, GroupCounts, Grouping, Tabulated};
use std::collections::{BTreeMap, HashMap};

/// A document's label counts: `(label id, count)` sorted by id (ids in order of first
/// appearance in the [`DimensionCounts`]), and the number of units without a label.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct TypeKey {
    counts: Box<[(u32, u64)]>,
    unlabelled: u64,
}

impl TypeKey {
    /// This key with `n` more units of `label` (`None`: without a label).
    fn plus(&self, label: Option<u32>, n: u64) -> TypeKey {
        let Some(id) = label else {
            return TypeKey {
                counts: self.counts.clone(),
                unlabelled: self.unlabelled + n,
            };
        };
        let mut counts = self.counts.to_vec();
        match counts.binary_search_by_key(&id, |&(l, _)| l) {
            Ok(pos) => counts[pos].1 += n,
            Err(pos) => counts.insert(pos, (id, n)),
        }
        TypeKey {
            counts: counts.into_boxed_slice(),
            unlabelled: self.unlabelled,
        }
    }
}

/// The distinct count vectors in use, each with the number of documents that have it. Type
/// 0 is the empty document and is never freed; a type no document has any more is freed and
/// its slot reused, so the table holds at most one type per document.
#[derive(Clone, Debug)]
struct Types {
    keys: Vec<TypeKey>,
    refs: Vec<u64>,
    of: HashMap<TypeKey, u32>,
    free: Vec<u32>,
}

impl Default for Types {
    fn default() -> Self {
        Types {
            keys: vec![TypeKey::default()],
            refs: vec![0],
            of: HashMap::new(),
            free: Vec::new(),
        }
    }
}

impl Types {
    /// The type of `key`, one more document counted in it.
    fn acquire(&mut self, key: TypeKey) -> u32 {
        if let Some(&t) = self.of.get(&key) {
            self.refs[t as usize] += 1;
            return t;
        }
        let t = match self.free.pop() {
            Some(t) => {
                self.keys[t as usize] = key.clone();
                self.refs[t as usize] = 1;
                t
            }
            None => {
                self.keys.push(key.clone());
                self.refs.push(1);
                (self.keys.len() - 1) as u32
            }
        };
        self.of.insert(key, t);
        t
    }

    /// One document less of type `t`.
    fn release(&mut self, t: u32) {
        if t == 0 {
            return;
        }
        let r = &mut self.refs[t as usize];
        *r -= 1;
        if *r == 0 {
            let key = std::mem::take(&mut self.keys[t as usize]);
            self.of.remove(&key);
            self.free.push(t);
        }
    }
}

/// The sufficient statistics of one dimension for [`shares_from_counts`] and
/// [`divergence_from_counts`]: for each document, the number of its units carrying each
/// label and the number of its units without a label (`None` or an empty string:
/// unsure/missing).
///
/// Built incrementally, one unit ([`add`](Self::add)) or many ([`add_n`](Self::add_n)) at a
/// time, so a streaming reader can accumulate it chunk by chunk, possibly in separate
/// accumulators combined with [`merge`](Self::merge); or at once from labelled units with
/// [`from_units`](Self::from_units). The result does not depend on the order of additions.
/// Memory is 4 bytes per document plus one entry per distinct count vector in use (documents
/// with the same counts share it), not proportional to the number of units.
///
/// [`shares_from_counts`]: super::shares_from_counts
/// [`divergence_from_counts`]: super::divergence_from_counts
///
/// ```
/// use rhetor::compare::{shares_from_counts, CompareParams, DimensionCounts, Grouping};
/// let mut counts = DimensionCounts::new("frame");
/// let units = [(0, Some("economy")), (0, None), (1, Some("security")), (1, Some("economy"))];
/// for (doc, label) in units {
///     counts.add(doc, label);
/// }
/// let grouping = Grouping::identity(vec!["a".into(), "b".into()]);
/// let params = CompareParams::default().check().unwrap();
/// let s = shares_from_counts(&counts, &grouping, &params, 42).unwrap();
/// assert_eq!(s.labels, vec!["economy", "security"]);
/// assert_eq!(s.rows[0].n_unlabelled, 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DimensionCounts {
    name: String,
    /// Label → id, ids in order of first appearance.
    index: BTreeMap<String, u32>,
    /// Per document (by index), its type in `types`; documents beyond the end have no units.
    docs: Vec<u32>,
    types: Types,
}

impl DimensionCounts {
    /// Empty counts of the dimension `name` (copied into every output row and part of the
    /// random seeds, as [`Dimension::name`]).
    pub fn new(name: impl Into<String>) -> Self {
        DimensionCounts {
            name: name.into(),
            index: BTreeMap::new(),
            docs: Vec::new(),
            types: Types::default(),
        }
    }

    /// The counts of a dimension's labelled units. Checks the grouping and that every unit's
    /// document is in it (the same errors as [`shares`](super::shares)); every document of
    /// the grouping is known to the counts ([`n_docs`](Self::n_docs)).
    pub fn from_units(dim: &Dimension<'_>, grouping: &Grouping) -> Result<Self, CompareError> {
        grouping.check()?;
        let n_docs = grouping.doc_group.len();
        if let Some((unit, u)) = dim.units.iter().enumerate().find(|(_, u)| u.doc >= n_docs) {
            return Err(CompareError::DocOutOfRange {
                dimension: dim.name.to_string(),
                unit,
                doc: u.doc,
                n_docs,
            });
        }
        let mut c = DimensionCounts::new(dim.name);
        c.docs.resize(n_docs, 0);
        for u in dim.units {
            c.add(u.doc, u.label);
        }
        Ok(c)
    }

    /// The dimension's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds one unit of document `doc` with label `label` (`None` or `""`: no label).
    pub fn add(&mut self, doc: usize, label: Option<&str>) {
        self.add_n(doc, label, 1);
    }

    /// Adds `n` units of document `doc` with label `label` (`None` or `""`: no label).
    /// Adding 0 units changes nothing.
    pub fn add_n(&mut self, doc: usize, label: Option<&str>, n: u64) {
        if n == 0 {
            return;
        }
        let label = label.filter(|l| !l.is_empty());
        let id = label.map(|label| match self.index.get(label) {
            Some(&id) => id,
            None => {
                let id = self.index.len() as u32;
                self.index.insert(label.to_string(), id);
                id
            }
        });
        self.add_id(doc, id, n);
    }

    /// Adds `n ≥ 1` units of label id `id` (`None`: no label) to document `doc`.
    fn add_id(&mut self, doc: usize, id: Option<u32>, n: u64) {
        if doc >= self.docs.len() {
            self.docs.resize(doc + 1, 0);
        }
        let cur = self.docs[doc];
        let key = self.types.keys[cur as usize].plus(id, n);
        let t = self.types.acquire(key);
        self.types.release(cur);
        self.docs[doc] = t;
    }

    /// Adds all counts of `other` (e.g. of another chunk of the same corpus). Both must be
    /// counts of the same dimension ([`CompareError::MergeDimensions`] otherwise).
    pub fn merge(&mut self, other: &DimensionCounts) -> Result<(), CompareError> {
        if self.name != other.name {
            return Err(CompareError::MergeDimensions {
                left: self.name.clone(),
                right: other.name.clone(),
            });
        }
        let mut labels: Vec<&str> = vec![""; other.index.len()];
        for (l, &id) in &other.index {
            labels[id as usize] = l;
        }
        if other.docs.len() > self.docs.len() {
            self.docs.resize(other.docs.len(), 0);
        }
        for (doc, &t) in other.docs.iter().enumerate() {
            let e = &other.types.keys[t as usize];
            if e.unlabelled > 0 {
                self.add_id(doc, None, e.unlabelled);
            }
            for &(id, n) in e.counts.iter() {
                self.add_n(doc, Some(labels[id as usize]), n);
            }
        }
        Ok(())
    }

    /// Documents known to the counts: one more than the largest document index with a unit
    /// (or the grouping's documents, after [`from_units`](Self::from_units)).
    pub fn n_docs(&self) -> usize {
        self.docs.len()
    }

    /// The distinct labels seen, sorted.
    pub fn labels(&self) -> Vec<&str> {
        self.index.keys().map(String::as_str).collect()
    }

    /// Units of document `doc` with label `label`.
    pub fn count(&self, doc: usize, label: &str) -> u64 {
        match (self.entry(doc), self.index.get(label)) {
            (Some(e), Some(&id)) => e
                .counts
                .binary_search_by_key(&id, |&(l, _)| l)
                .map_or(0, |pos| e.counts[pos].1),
            _ => 0,
        }
    }

    /// Units of document `doc` without a label.
    pub fn unlabelled(&self, doc: usize) -> u64 {
        self.entry(doc).map_or(0, |e| e.unlabelled)
    }

    /// Units per (group, label) and labelled units per group, documents grouped by
    /// `doc_group` (documents beyond it are not counted).
    pub fn group_label_counts(
        &self,
        doc_group: &[usize],
        n_groups: usize,
    ) -> (BTreeMap<(usize, String), u64>, Vec<u64>) {
        let mut labels: Vec<&str> = vec![""; self.index.len()];
        for (l, &id) in &self.index {
            labels[id as usize] = l;
        }
        let mut by_id: BTreeMap<(usize, u32), u64> = BTreeMap::new();
        let mut totals = vec![0u64; n_groups];
        for (&t, &g) in self.docs.iter().zip(doc_group) {
            for &(id, n) in self.types.keys[t as usize].counts.iter() {
                *by_id.entry((g, id)).or_default() += n;
                totals[g] += n;
            }
        }
        let counts = by_id
            .into_iter()
            .map(|((g, id), n)| ((g, labels[id as usize].to_string()), n))
            .collect();
        (counts, totals)
    }

    fn entry(&self, doc: usize) -> Option<&TypeKey> {
        self.docs.get(doc).map(|&t| &self.types.keys[t as usize])
    }

    /// Checks the counts against `grouping` and tabulates them by group, with the labels
    /// sorted and each group's documents (those with ≥ 1 labelled unit) in document order.
    pub(crate) fn tabulate(&self, grouping: &Grouping) -> Result<Tabulated, CompareError> {
        grouping.check()?;
        let n_docs = grouping.doc_group.len();
        if let Some(doc) = (n_docs..self.docs.len()).find(|&d| self.docs[d] != 0) {
            return Err(CompareError::CountsDocOutOfRange {
                dimension: self.name.clone(),
                doc,
                n_docs,
            });
        }
        let labels: Vec<String> = self.index.keys().cloned().collect();
        // id (first appearance) → position among the sorted labels
        let mut rank = vec![0usize; labels.len()];
        for (pos, &id) in self.index.values().enumerate() {
            rank[id as usize] = pos;
        }
        let k = labels.len();
        let mut groups: Vec<GroupCounts> = (0..grouping.group_names.len())
            .map(|_| GroupCounts {
                docs: Default::default(),
                n: 0,
                counts: vec![0; k],
                n_unlabelled: 0,
            })
            .collect();
        // Distinct count vectors of the dimension's documents.
        let mut type_of: BTreeMap<Vec<u64>, u32> = BTreeMap::new();
        let mut types: Vec<DocCounts> = Vec::new();
        let mut dense = vec![0u64; k];
        for (doc, &t) in self.docs.iter().enumerate().take(n_docs) {
            let e = &self.types.keys[t as usize];
            let g = &mut groups[grouping.doc_group[doc]];
            g.n_unlabelled += e.unlabelled;
            if e.counts.is_empty() {
                continue;
            }
            dense.iter_mut().for_each(|x| *x = 0);
            let mut n = 0;
            for &(id, c) in e.counts.iter() {
                dense[rank[id as usize]] = c;
                n += c;
            }
            let t = match type_of.get(&dense) {
                Some(&t) => t,
                None => {
                    let t = types.len() as u32;
                    type_of.insert(dense.clone(), t);
                    types.push(DocCounts {
                        n,
                        counts: dense.clone(),
                    });
                    t
                }
            };
            g.n += n;
            for (x, &c) in g.counts.iter_mut().zip(&dense) {
                *x += c;
            }
            g.docs.of.push(t);
        }
        Ok(Tabulated {
            labels,
            types,
            groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{
        divergence, divergence_from_counts, shares, shares_from_counts, sim, CompareParams,
        Labelled,
    };
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    /// Units of `n_docs` documents, 1–`max_len` paragraphs each (some unlabelled, some
    /// with an empty label), labels drawn per document from a Dirichlet around `mean`.
    fn sim_units(
        rng: &mut Xoshiro256Plus,
        n_docs: usize,
        max_len: usize,
        mean: &[f64],
    ) -> Vec<Labelled<'static>> {
        const LABELS: [&str; 5] = ["e", "a", "d", "b", "c"];
        let mut units = Vec::new();
        for doc in 0..n_docs {
            let p = sim::dirichlet(rng, mean, 5.0);
            for _ in 0..rng.gen_range(1..=max_len) {
                let label = match rng.gen_range(0..20) {
                    0 => None,
                    1 => Some(""),
                    _ => Some(LABELS[sim::categorical(rng, &p)]),
                };
                units.push(Labelled { doc, label });
            }
        }
        units
    }

    fn params() -> super::super::CompareValidParams {
        CompareParams::default().check().unwrap()
    }

    /// Issue 17: the counts path gives the units path's tables bit for bit, whatever the
    /// order in which the counts were accumulated and merged.
    /// The claims' label counts per group come from the sufficient statistics: the same
    /// as counting the labelled units directly.
    #[test]
    fn group_label_counts_add_up_the_units_of_each_group() {
        let units = [
            (0, Some("a")),
            (0, Some("b")),
            (1, Some("a")),
            (1, None),
            (2, Some("b")),
            (2, Some("b")),
            (3, Some("a")),
        ];
        let mut c = DimensionCounts::new("frame");
        for (doc, label) in units {
            c.add(doc, label);
        }
        let doc_group = [0, 1, 1, 0];
        let (counts, totals) = c.group_label_counts(&doc_group, 2);
        let expected: BTreeMap<(usize, String), u64> =
            [((0, "a"), 2), ((0, "b"), 1), ((1, "a"), 1), ((1, "b"), 2)]
                .into_iter()
                .map(|((g, l), n)| ((g, l.to_string()), n))
                .collect();
        assert_eq!(counts, expected);
        assert_eq!(totals, vec![3, 3]);
    }

    #[test]
    fn counts_path_equals_units_path() {
        let mut rng = Xoshiro256Plus::seed_from_u64(17);
        let mean = [0.4, 0.3, 0.15, 0.1, 0.05];
        // 5 groups: many short documents, many long ones, few, a single document, none
        // labelled (documents 100.. are never mentioned).
        let mut units = sim_units(&mut rng, 60, 1, &mean);
        let mut more = sim_units(&mut rng, 30, 12, &mean);
        more.iter_mut().for_each(|u| u.doc += 60);
        units.extend(more);
        let mut few = sim_units(&mut rng, 4, 6, &mean);
        few.iter_mut().for_each(|u| u.doc += 90);
        units.extend(few);
        units.push(Labelled {
            doc: 94,
            label: Some("a"),
        });
        units.push(Labelled {
            doc: 94,
            label: Some("c"),
        });
        let doc_group: Vec<usize> = (0..102)
            .map(|d| match d {
                0..=59 => 0,
                60..=89 => 1,
                90..=93 => 2,
                94 => 3,
                _ => 4,
            })
            .collect();
        let names = ["short", "long", "few", "one", "none"];
        let g = Grouping::new(doc_group, names.iter().map(|s| s.to_string()).collect()).unwrap();
        let other: Vec<Labelled> = units
            .iter()
            .map(|u| Labelled {
                doc: u.doc,
                label: u.label.map(|l| if l == "e" { "a" } else { l }),
            })
            .collect();
        let dims = [
            Dimension {
                name: "frame",
                units: &units,
            },
            Dimension {
                name: "other",
                units: &other,
            },
        ];
        let from_units: Vec<DimensionCounts> = dims
            .iter()
            .map(|d| DimensionCounts::from_units(d, &g).unwrap())
            .collect();
        // Streamed: units in reverse, in three chunks merged.
        let streamed: Vec<DimensionCounts> = dims
            .iter()
            .map(|d| {
                let mut total = DimensionCounts::new(d.name);
                for chunk in d.units.rchunks(37) {
                    let mut c = DimensionCounts::new(d.name);
                    for u in chunk.iter().rev() {
                        c.add(u.doc, u.label);
                    }
                    total.merge(&c).unwrap();
                }
                total
            })
            .collect();
        for (d, (a, b)) in dims.iter().zip(from_units.iter().zip(&streamed)) {
            let s = shares(d, &g, &params(), 5).unwrap();
            assert_eq!(s, shares_from_counts(a, &g, &params(), 5).unwrap());
            assert_eq!(s, shares_from_counts(b, &g, &params(), 5).unwrap());
            let bits = |t: &super::super::SharesTable| -> Vec<[u64; 3]> {
                t.rows
                    .iter()
                    .map(|r| [r.share.to_bits(), r.ci_low.to_bits(), r.ci_high.to_bits()])
                    .collect()
            };
            assert_eq!(
                bits(&s),
                bits(&shares_from_counts(b, &g, &params(), 5).unwrap())
            );
            assert_eq!(s.skipped.len(), 1);
            assert!(s
                .rows
                .iter()
                .any(|r| r.method == super::super::ShareMethod::ClusterBootstrapT));
        }
        let d = divergence(&dims, &g, &params(), 9).unwrap();
        assert_eq!(
            d,
            divergence_from_counts(&from_units, &g, &params(), 9).unwrap()
        );
        assert_eq!(
            d,
            divergence_from_counts(&streamed, &g, &params(), 9).unwrap()
        );
        assert_eq!(d.rows.len(), 2 * 6);
    }

    #[test]
    fn counts_are_accumulated_and_checked() {
        let mut c = DimensionCounts::new("d");
        c.add(2, Some("y"));
        c.add(2, Some("x"));
        c.add_n(2, Some("y"), 3);
        c.add(0, None);
        c.add(0, Some(""));
        c.add_n(7, Some("z"), 0);
        assert_eq!(c.name(), "d");
        assert_eq!(c.labels(), vec!["x", "y"]);
        assert_eq!(c.n_docs(), 3);
        assert_eq!(
            (c.count(2, "y"), c.count(2, "x"), c.count(1, "x")),
            (4, 1, 0)
        );
        assert_eq!(c.count(9, "x"), 0);
        assert_eq!(
            (c.unlabelled(0), c.unlabelled(2), c.unlabelled(9)),
            (2, 0, 0)
        );
        let mut other = DimensionCounts::new("d");
        other.add(4, Some("w"));
        other.add(2, Some("x"));
        c.merge(&other).unwrap();
        assert_eq!(c.labels(), vec!["w", "x", "y"]);
        assert_eq!((c.count(2, "x"), c.count(4, "w"), c.n_docs()), (2, 1, 5));
        let e = c.merge(&DimensionCounts::new("e")).unwrap_err();
        assert!(
            e.to_string().contains("'d'") && e.to_string().contains("'e'"),
            "{e}"
        );
        // Document 4 is beyond a grouping of 3 documents.
        let g = Grouping::identity(vec!["a".into(), "b".into(), "c".into()]);
        let e = shares_from_counts(&c, &g, &params(), 0).unwrap_err();
        assert_eq!(
            e,
            CompareError::CountsDocOutOfRange {
                dimension: "d".into(),
                doc: 4,
                n_docs: 3
            }
        );
        assert!(e.to_string().contains("document 4"), "{e}");
        let e = divergence_from_counts(&[c.clone(), c], &g, &params(), 0).unwrap_err();
        assert_eq!(e, CompareError::DuplicateDimension("d".into()));
    }

    /// Documents with the same counts share one entry; an entry no document uses any more
    /// is freed and reused, so the table never holds more entries than documents.
    #[test]
    fn count_vectors_are_shared_and_freed() {
        let mut c = DimensionCounts::new("d");
        for doc in 0..1000 {
            c.add(doc, Some(if doc % 2 == 0 { "x" } else { "y" }));
        }
        // Two vectors in use ({x: 1}, {y: 1}), plus the empty document's.
        assert_eq!(c.types.of.len(), 2);
        // Each document passes through {x: 1..k} on its way: the old vectors are freed.
        for k in 0..50 {
            for doc in 0..1000 {
                c.add(doc, Some(if (doc + k) % 3 == 0 { "x" } else { "z" }));
            }
            assert!(c.types.of.len() <= 1000, "{} entries", c.types.of.len());
            let live = c.types.refs.iter().filter(|&&r| r > 0).count();
            assert_eq!(live, c.types.of.len());
            assert_eq!(c.types.keys.len(), c.types.refs.len());
        }
        assert!(c.types.keys.len() <= 1001, "{} slots", c.types.keys.len());
        let total: u64 = (0..1000)
            .map(|d| c.count(d, "x") + c.count(d, "y") + c.count(d, "z"))
            .sum();
        assert_eq!(total, 1000 * 51);
    }
}
