//! The public contract of a run directory: every table, every column, its type,
//! nullability and meaning. This is the one machine-readable source: `docs/schema.md` is
//! generated from it (`rhetor schema > docs/schema.md`, checked by a test), the Python
//! contract tests read `rhetor schema --format json`, and the Rust tests check the written
//! tables against it.

use serde::Serialize;

/// Logical column types. In Parquet/Arrow terms: `string` (UTF-8, Arrow `large_string`),
/// the integer and float widths, `bool`, and `list<…>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    /// UTF-8 text.
    String,
    /// Unsigned 32-bit integer.
    UInt32,
    /// Unsigned 64-bit integer.
    UInt64,
    /// Signed 32-bit integer.
    Int32,
    /// 32-bit float.
    Float32,
    /// 64-bit float.
    Float64,
    /// Boolean.
    Bool,
    /// List of 32-bit floats.
    ListFloat32,
    /// List of 64-bit floats.
    ListFloat64,
    /// List of strings.
    ListString,
    /// List of unsigned 32-bit integers.
    ListUInt32,
    /// Calendar date (Arrow `date32`, Parquet `DATE`: days since 1970-01-01).
    Date,
}

impl Type {
    /// The name used in `docs/schema.md` and the JSON schema.
    pub fn name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::UInt32 => "uint32",
            Type::UInt64 => "uint64",
            Type::Int32 => "int32",
            Type::Float32 => "float32",
            Type::Float64 => "float64",
            Type::Bool => "bool",
            Type::ListFloat32 => "list<float32>",
            Type::ListFloat64 => "list<float64>",
            Type::ListString => "list<string>",
            Type::ListUInt32 => "list<uint32>",
            Type::Date => "date",
        }
    }
}

/// One column of the contract.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ColumnSpec {
    /// Column name.
    pub name: &'static str,
    /// Logical type.
    #[serde(rename = "type", serialize_with = "ser_type")]
    pub ty: Type,
    /// Whether nulls can occur.
    pub nullable: bool,
    /// What it means.
    pub meaning: &'static str,
}

fn ser_type<S: serde::Serializer>(t: &Type, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.name())
}

/// One table of a run directory.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TableSpec {
    /// File name.
    pub file: &'static str,
    /// One row per …
    pub row: &'static str,
    /// Which command writes it first.
    pub written_by: &'static str,
    /// Columns, in order. User metadata columns may follow them (see `extra_columns`).
    pub columns: &'static [ColumnSpec],
    /// What may follow the listed columns.
    pub extra_columns: &'static str,
    /// Written only when asked for (`time_labels.parquet`: runs with `--time-col`); every
    /// other table is in every run that reaches its stage.
    pub optional: bool,
}

const fn c(name: &'static str, ty: Type, nullable: bool, meaning: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        nullable,
        meaning,
    }
}

use Type as T;

/// Every table, in pipeline order.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        file: "documents.parquet",
        row: "document",
        written_by: "segment",
        columns: &[
            c("doc_id", T::String, false, "Document id: path relative to the corpus folder, or the id column (or 0-based row number) of a table, or the --doc-col value."),
            c("title", T::String, true, "Title from the `date YYYY-MM-DD Title` line, front matter, a title column, or a detected first line."),
            c("date", T::Date, true, "The document's date as a Parquet DATE (Arrow `date32`), when `date_raw` is a calendar day: `YYYY-MM-DD`, optionally followed by a time (`T` or a space, then `HH:MM…`; the time is dropped). A year or year-month alone (`2012`, `2012-09`), an impossible day (`2023-02-29`) or anything else is not a day, so `date` is null and `date_raw` keeps the value (the run warns how many)."),
            c("date_raw", T::String, true, "The date exactly as given (the `date YYYY-MM-DD` line, front matter, or the table's `date` column); null when the document has none."),
            c("source", T::String, false, "File the document came from (relative path, or the table's file name)."),
            c("n_paragraphs", T::UInt32, false, "Paragraphs (analysis units) kept."),
            c("n_headings", T::UInt32, false, "Heading lines recognised as sections (not paragraphs)."),
            c("n_dropped", T::UInt32, false, "Boilerplate lines dropped (link lists, share/subscribe footers)."),
        ],
        extra_columns: "User metadata: every other input column (text files: front-matter keys as strings), with its type (string, int64, float64 or bool). Columns whose names clash with the ones above are prefixed `meta_`.",
        optional: false,
    },
    TableSpec {
        file: "paragraphs.parquet",
        row: "paragraph (analysis unit)",
        written_by: "segment (topic columns: cluster)",
        columns: &[
            c("doc_id", T::String, false, "Document id (joins documents.parquet)."),
            c("para_id", T::UInt32, false, "0-based paragraph number within the document."),
            c("section", T::String, true, "The heading above the paragraph, if any."),
            c("text", T::String, false, "Paragraph text, whitespace-collapsed and NFC-normalised."),
            c("byte_start", T::UInt64, false, "Byte offset of the paragraph in the source file (or text cell for tables)."),
            c("byte_end", T::UInt64, false, "Byte offset one past its end; normalising source[byte_start..byte_end] gives `text`."),
            c("n_tokens", T::UInt32, false, "Words by Unicode word boundaries (UAX #29)."),
            c("topic_id", T::Int32, false, "Topic (0 = largest). Written by cluster/run."),
            c("topic_label", T::String, false, "Topic label (top distinct c-TF-IDF terms). Written by cluster/run."),
            c("topic_prob", T::Float32, false, "Soft membership of the assigned topic: fuzzy c-means membership with m = 2, u_k ∝ 1/‖x − c_k‖². Written by cluster/run."),
            c("topic_distance", T::Float32, false, "Euclidean distance of the paragraph's embedding to its topic's centroid. With `rhetor apply`, paragraphs far from every centroid still get the nearest topic: sort by this column to find the ones the fitted model describes poorly (compare with the distances of the fit corpus, where most paragraphs lie). Written by cluster/run/apply."),
        ],
        extra_columns: "Per codebook dimension D (runs with codebooks): `D` (string, nullable: the chosen label, null when unsure; multi-label dimensions join labels with `;`), `D_score` (float32, score of the chosen label, 0 when unsure) and `D__L` (float32) for every label L of the dimension, in codebook order. Then, with --doc-col, the input columns that vary within a document (e.g. a per-row id or speaker), prefixed `meta_` when they clash. Topic columns are absent in runs of `rhetor segment` and `rhetor embed`.",
        optional: false,
    },
    TableSpec {
        file: "embeddings.parquet",
        row: "paragraph",
        written_by: "embed",
        columns: &[
            c("doc_id", T::String, false, "Document id."),
            c("para_id", T::UInt32, false, "Paragraph number within the document."),
            c("vector", T::ListFloat32, false, "The reduced (LSA) vector used for clustering, l2-normalised; all zeros for a paragraph without any term of the vocabulary."),
        ],
        extra_columns: "none",
        optional: false,
    },
    TableSpec {
        file: "topics.parquet",
        row: "topic",
        written_by: "cluster",
        columns: &[
            c("topic_id", T::Int32, false, "Topic id (0 = largest, ties by first paragraph)."),
            c("size", T::UInt32, false, "Paragraphs in the topic."),
            c("share", T::Float64, false, "size / all paragraphs."),
            c("label", T::String, false, "Top distinct terms joined with \", \"."),
            c("top_terms", T::ListString, false, "Top terms by class-based TF-IDF (BERTopic's c-TF-IDF), unigrams and bigrams."),
            c("term_scores", T::ListFloat64, false, "Their c-TF-IDF weights."),
            c("representative_doc_ids", T::ListString, false, "Documents of the paragraphs closest to the centroid."),
            c("representative_para_ids", T::ListUInt32, false, "Their paragraph ids (pairs with representative_doc_ids)."),
            c("stability", T::Float64, true, "With `--stability N` ([cluster] stability_runs): the mean Jaccard overlap of the topic's members with its matched topic (Hungarian matching) in each of N re-fits with their own seeds on a random 80% of the paragraphs ([cluster] stability_sample); 1 = the same members every time. Null when not measured (and in `rhetor apply` runs)."),
            c("label_from", T::String, false, "How `label` was given: `terms` (the top distinct c-TF-IDF terms), `seed` (the name of the guided topic it grew from, `[topics] seeds`) or `names` (`[topics] names`)."),
        ],
        extra_columns: "none",
        optional: false,
    },
    TableSpec {
        file: "doc_labels.parquet",
        row: "group × dimension × label",
        written_by: "compare",
        columns: &[
            c("group_id", T::String, false, "Group: a document id (joins documents.doc_id), or a value of the --group-by column."),
            c("group_by", T::String, false, "`doc_id` when each document is a group, else the --group-by column."),
            c("dimension", T::String, false, "Labelling dimension, e.g. `topic`."),
            c("label", T::String, false, "Label within the dimension; for `topic`, the topic's label exactly as in topics.label and paragraphs.topic_label. Only labels that occur in the run are listed. Rows are ordered by group, dimension, then label (topics by topic_id)."),
            c("topic_id", T::Int32, true, "For the `topic` dimension, the topic (joins topics.topic_id and paragraphs.topic_id); null for every other dimension."),
            c("count", T::UInt64, false, "Paragraphs of the group with this label."),
            c("n", T::UInt64, false, "Labelled paragraphs of the group (the share's denominator)."),
            c("n_unlabelled", T::UInt64, false, "Paragraphs of the group without a label (unsure)."),
            c("n_docs", T::UInt64, false, "Documents in the group."),
            c("share", T::Float64, false, "count / n."),
            c("ci_low", T::Float64, false, "Lower end of the 95% interval."),
            c("ci_high", T::Float64, false, "Upper end of the 95% interval."),
            c("method", T::String, false, "Interval method: `cluster_bootstrap_t_docs` (groups of several documents: studentized bootstrap over documents), `cluster_clopper_pearson_docs` (a label fewer than 10 of the group's documents carry, or a group of fewer than 10 documents: Korn–Graubard interval), `goodman_multinomial` (a single document), `goodman_multinomial_pooled` (older runs)."),
        ],
        extra_columns: "none",
        optional: false,
    },
    TableSpec {
        file: "divergence.parquet",
        row: "pair of groups × dimension",
        written_by: "compare",
        columns: &[
            c("group_a", T::String, false, "First group (a doc_labels.group_id)."),
            c("group_b", T::String, false, "Second group (a doc_labels.group_id)."),
            c("dimension", T::String, false, "Labelling dimension."),
            c("n_a", T::UInt64, false, "Labelled paragraphs of group_a."),
            c("n_b", T::UInt64, false, "Labelled paragraphs of group_b."),
            c("docs_a", T::UInt64, false, "Documents of group_a."),
            c("docs_b", T::UInt64, false, "Documents of group_b."),
            c("jsd", T::Float64, false, "Jensen–Shannon divergence (base 2, in [0, 1]) of the two label distributions."),
            c("p_value", T::Float64, false, "Permutation-test p-value, (1 + #{JSD_perm ≥ JSD}) / (1 + n_perm)."),
            c("p_adjusted", T::Float64, false, "p-value adjusted over the whole table."),
            c("adjust", T::String, false, "`benjamini_hochberg` or `holm`."),
            c("significant", T::Bool, false, "p_adjusted < alpha (0.05 by default)."),
            c("method", T::String, false, "`permutation_docs` (group labels permuted over documents) or `permutation_paragraphs` (two single documents)."),
            c("n_perm", T::UInt64, false, "Number of permutations."),
        ],
        extra_columns: "none",
        optional: false,
    },
    TableSpec {
        file: "keyness.parquet",
        row: "group × distinctive term",
        written_by: "compare",
        columns: &[
            c("group_id", T::String, false, "Group (a doc_labels.group_id)."),
            c("rank", T::UInt32, false, "1 = most distinctive (highest z) for the group."),
            c("term", T::String, false, "Term (unigram or bigram, English stop words removed)."),
            c("count", T::Float64, false, "Occurrences in the group."),
            c("log_odds", T::Float64, false, "Log-odds ratio δ of the group vs the rest, informative Dirichlet prior (Monroe, Colaresi & Quinn 2008)."),
            c("variance", T::Float64, false, "Variance of δ."),
            c("z", T::Float64, false, "δ / √variance."),
        ],
        extra_columns: "none",
        optional: false,
    },
    TableSpec {
        file: "time_labels.parquet",
        row: "group × dimension × label × period",
        written_by: "compare, with --time-col (config `[time] col`)",
        columns: &[
            c("group_id", T::String, false, "The series: a value of the --group-by column (a doc_labels.group_id), or `all` without --group-by (every document)."),
            c("group_by", T::String, true, "The --group-by column; null without it."),
            c("dimension", T::String, false, "Labelling dimension, e.g. `topic`."),
            c("label", T::String, false, "Label within the dimension (for `topic`, topics.label). Rows are ordered by dimension, group, label (topics by topic_id), then period; a label has a row in every period in which its group has labelled paragraphs."),
            c("topic_id", T::Int32, true, "For the `topic` dimension, the topic (joins topics.topic_id); null otherwise."),
            c("period", T::String, false, "The period: `2024-03-05` (day), `2024-W10` (ISO week), `2024-03` (month), `2024-Q1` (quarter) or `2024` (year)."),
            c("period_start", T::Date, false, "First day of the period."),
            c("period_end", T::Date, false, "Last day of the period."),
            c("count", T::UInt64, false, "Paragraphs of the group in the period with this label."),
            c("n", T::UInt64, false, "Labelled paragraphs of the group in the period (the share's denominator)."),
            c("n_unlabelled", T::UInt64, false, "Paragraphs of the group in the period without a label (unsure)."),
            c("n_docs", T::UInt64, false, "Documents of the group in the period with a labelled paragraph."),
            c("share", T::Float64, false, "count / n."),
            c("ci_low", T::Float64, false, "Lower end of the 95% interval (the methods of doc_labels)."),
            c("ci_high", T::Float64, false, "Upper end of the 95% interval."),
            c("method", T::String, false, "Interval method, as doc_labels.method."),
            c("change", T::Float64, true, "share minus the share in the group's previous period with labelled paragraphs; null in the first."),
            c("p_change", T::Float64, true, "Two-sided permutation p-value of the change: the documents of the two periods shuffled between them (sizes kept), (1 + #{|Δ_perm| ≥ |Δ|}) / (1 + n_perm); null in the first period."),
            c("p_change_adjusted", T::Float64, true, "p_change adjusted over the dimension's change tests (`adjust`)."),
            c("trend_rho", T::Float64, true, "Spearman's ρ between a document's period and its share of the label, over the group's documents of every period (ties at their mean rank); the same on every row of the group and label; null with fewer than 3 periods."),
            c("p_trend", T::Float64, true, "Two-sided permutation p-value of trend_rho: documents shuffled over the group's periods (sizes kept)."),
            c("p_trend_adjusted", T::Float64, true, "p_trend adjusted over the dimension's trend tests (`adjust`)."),
            c("n_perm", T::UInt64, false, "Permutations per test (`[compare] n_perm`)."),
            c("adjust", T::String, false, "`benjamini_hochberg` or `holm`."),
        ],
        extra_columns: "none",
        optional: true,
    },
];

/// The table spec of a file name.
pub fn table(file: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.file == file)
}

/// The schema as JSON (for consumers' contract tests).
pub fn to_json() -> serde_json::Value {
    serde_json::json!({
        "schema_version": crate::export::SCHEMA_VERSION,
        "rhetor_version": crate::VERSION,
        "tables": TABLES,
    })
}

/// The schema as Markdown (`docs/schema.md`).
pub fn to_markdown() -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# The run directory: tables and columns\n\n\
         <!-- Generated by `rhetor schema > docs/schema.md` from src/schema.rs; a test fails when they differ. -->\n\n\
         Schema version **{}**. Every Parquet file carries it in its key-value metadata\n\
         (`rhetor.schema_version`, with `rhetor.version`, `rhetor.seed` and `rhetor.config`, the\n\
         resolved configuration as JSON), and `manifest.json` has it as `schema_version`. Any change\n\
         of a table's columns, types or meanings bumps it.\n\n\
         Types are logical types. `string` is UTF-8 text (Arrow `large_string`; pandas, pyarrow,\n\
         polars and DuckDB read it as text without casting). Integers and floats have the\n\
         widths shown; `list<…>` is an Arrow (large) list. Columns marked *no* under *nullable* never hold\n\
         nulls. `documents.date`, `time_labels.period_start` and `period_end` are Parquet DATEs. No column name is an SQL reserved word, so queries need no quoting.\n\n\
         Joins: tables join on `doc_id` (and `para_id` for paragraphs); `doc_labels.topic_id`,\n\
         `paragraphs.topic_id` and `topics.topic_id` are the same ids (and `doc_labels.label` of a topic\n\
         row equals `topics.label`); `doc_labels.group_id`, `keyness.group_id` and\n\
         `divergence.group_a`/`group_b` are the same group names (document ids when each document is a\n\
         group, so they then join `documents.doc_id`).\n\n\
         `manifest.json` (one per run) holds the rhetor version, schema version, command, corpus path,\n\
         seed, resolved configuration, sha256 of every input file, counts (documents, paragraphs,\n\
         headings, skipped by reason, dropped by reason), what was skipped and why, every table with its\n\
         row count and columns, what each stage found (vocabulary size, components, k and the silhouette\n\
         per k), and seconds per stage. `report.json` holds the report's content; `report.md` and\n\
         `report.html` are for people.\n",
        crate::export::SCHEMA_VERSION
    );
    for t in TABLES {
        let _ = writeln!(
            s,
            "## `{}`\n\nOne row per {}. Written by `rhetor {}` and `rhetor run`.\n",
            t.file, t.row, t.written_by
        );
        let _ = writeln!(
            s,
            "| column | type | nullable | meaning |\n|---|---|---|---|"
        );
        for col in t.columns {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} |",
                col.name,
                col.ty.name(),
                if col.nullable { "yes" } else { "no" },
                col.meaning.replace('|', "\\|")
            );
        }
        let _ = writeln!(s, "\nAfter these columns: {}\n", t.extra_columns);
    }
    s
}

/// Checks a written table against the contract: the listed columns come first, in order,
/// with their types. Returns the problems found.
pub fn check_frame(file: &str, df: &polars::prelude::DataFrame) -> Vec<String> {
    use polars::prelude::DataType as D;
    let Some(spec) = table(file) else {
        return vec![format!("{file} is not in the schema")];
    };
    let mut problems = Vec::new();
    let cols = df.columns();
    let mut i = 0;
    for want in spec.columns {
        let Some(col) = cols.get(i) else {
            // Topic columns may be absent in partial runs; they must then all be absent.
            if file == "paragraphs.parquet" && want.name.starts_with("topic_") {
                continue;
            }
            problems.push(format!("{file}: missing column {}", want.name));
            continue;
        };
        if col.name().as_str() != want.name {
            if file == "paragraphs.parquet" && want.name.starts_with("topic_") {
                continue;
            }
            problems.push(format!(
                "{file}: column {i} is {} instead of {}",
                col.name(),
                want.name
            ));
            i += 1;
            continue;
        }
        let ok = match (want.ty, col.dtype()) {
            (Type::String, D::String) => true,
            (Type::UInt32, D::UInt32) => true,
            (Type::UInt64, D::UInt64) => true,
            (Type::Int32, D::Int32) => true,
            (Type::Float32, D::Float32) => true,
            (Type::Float64, D::Float64) => true,
            (Type::Bool, D::Boolean) => true,
            (Type::ListFloat32, D::List(inner)) => **inner == D::Float32,
            (Type::ListFloat64, D::List(inner)) => **inner == D::Float64,
            (Type::ListString, D::List(inner)) => **inner == D::String,
            (Type::ListUInt32, D::List(inner)) => **inner == D::UInt32,
            (Type::Date, D::Date) => true,
            _ => false,
        };
        if !ok {
            problems.push(format!(
                "{file}: column {} has type {} instead of {}",
                want.name,
                col.dtype(),
                want.ty.name()
            ));
        }
        if !want.nullable && col.null_count() > 0 {
            problems.push(format!("{file}: column {} has nulls", want.name));
        }
        i += 1;
    }
    problems
}
