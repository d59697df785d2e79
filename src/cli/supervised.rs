//! `rhetor train`, `rhetor evaluate`, `rhetor predict`.

use super::args::{
    Cli, DataArgs, EvaluateArgs, FeaturesArg, HashtagsArg, ModelArg, ModelArgs, PredictArgs,
    TrainArgs,
};
use anyhow::{bail, Context, Result};
use rhetor::classify::{
    self, ClassWeight, ClassifierValidParams, ModelFile, ModelKind, TrainedModel, TrainingInfo,
};
use rhetor::config::Config;
use rhetor::supervised::{self, DataColumns, FoldScheme, LabelledData};

fn columns(c: &DataArgs) -> DataColumns {
    DataColumns {
        text_col: c.text_col.clone(),
        id_col: c.id_col.clone(),
        label_col: c.label_col.clone(),
        target_col: c.target_col.clone(),
        group_col: None,
        split_col: None,
        multi_label: c.multi_label,
        skip_unlabelled: c.skip_unlabelled,
    }
}

fn params(m: &ModelArgs) -> Result<ClassifierValidParams> {
    let mut p = match &m.config {
        Some(path) => Config::from_file(path)?.classify,
        None => classify::ClassifierParams::default(),
    };
    if let Some(k) = m.model {
        p.model = match k {
            ModelArg::Svm => ModelKind::LinearSvm,
            ModelArg::Lr => ModelKind::LogisticRegression,
            ModelArg::Stack => ModelKind::Stack,
        };
        // The config's [classify.stack] table belongs to model = "stack" only.
        if p.model != ModelKind::Stack {
            p.stack = None;
        }
    }
    if let Some(c) = m.c {
        p.c = c;
    }
    if m.balanced {
        p.class_weight = ClassWeight::Balanced;
    }
    if let Some(s) = m.seed {
        p.seed = s;
    }
    match m.features {
        None => {}
        Some(FeaturesArg::Tfidf) => {
            p.transformer = None;
            if p.features.word.is_none() && p.features.char.is_none() {
                p.features = classify::FeatureParams::default();
            }
        }
        Some(FeaturesArg::Transformer) => {
            p.transformer.get_or_insert_with(Default::default);
            p.features.word = None;
            p.features.char = None;
        }
        Some(FeaturesArg::TfidfTransformer) => {
            p.transformer.get_or_insert_with(Default::default);
            if p.features.word.is_none() && p.features.char.is_none() {
                p.features = classify::FeatureParams::default();
            }
        }
    }
    if let Some(h) = m.hashtags {
        p.hashtags = Some(match h {
            HashtagsArg::Keep => classify::Hashtags::Keep,
            HashtagsArg::Split => classify::Hashtags::Split,
            HashtagsArg::TagAndSplit => classify::Hashtags::TagAndSplit,
        });
    }
    if let Some(w) = m.transformer_weight {
        match p.transformer.as_mut() {
            Some(t) => t.weight = w,
            None => bail!(
                "--transformer-weight needs sentence-embedding features \
                 (--features transformer or tfidf+transformer)"
            ),
        }
    }
    if let Some(model) = &m.transformer_model {
        match p.transformer.as_mut() {
            Some(t) => t.model = model.clone(),
            None => bail!(
                "--transformer-model needs sentence-embedding features \
                 (--features transformer or tfidf+transformer)"
            ),
        }
    }
    let checked = p.check().context("[classify] parameters")?;
    match &p.transformer {
        None => Ok(checked),
        Some(t) => {
            let models_dir = rhetor::embed::transformer::fetch::default_models_dir();
            let encoder = classify::SentenceEncoder::load(&models_dir, &t.model)
                .with_context(|| format!("sentence-embedding features ({})", t.model))?;
            Ok(checked.with_encoder(encoder))
        }
    }
}

/// Reports how many texts the sentence-transformer embedded, and how fast.
fn report_embedding(p: &ClassifierValidParams, cli: &Cli) {
    let Some(e) = p.encoder() else { return };
    let s = e.stats();
    if cli.quiet || s.texts == 0 {
        return;
    }
    let computed = s.texts - s.cached;
    eprintln!(
        "sentence embeddings ({}): {} texts, {} from the cache, {} computed in {:.1} s{}",
        e.id().model,
        s.texts,
        s.cached,
        computed,
        s.seconds,
        if computed > 0 && s.seconds > 0.0 {
            format!(" ({:.0} texts/s)", computed as f64 / s.seconds)
        } else {
            String::new()
        }
    );
}

/// Reads labelled data and reports the rows the reader skipped (every error of
/// `supervised::load` names the file already).
fn load(path: &std::path::Path, cols: DataColumns, need_labels: bool) -> Result<LabelledData> {
    let data = supervised::load(path, &cols, need_labels)?;
    for s in &data.skipped {
        eprintln!("warning: skipped '{}': {}", s.source, s.reason);
    }
    Ok(data)
}

/// 0, or [`super::EXIT_SKIPPED`] when some input rows could not be read.
fn exit_code(data: &LabelledData) -> i32 {
    if data.has_failures() {
        super::EXIT_SKIPPED
    } else {
        0
    }
}

/// `rhetor train`.
pub fn train(a: &TrainArgs, cli: &Cli) -> Result<i32> {
    rhetor::export::check_no_overlap(&a.data, &a.out, "training data")?;
    rhetor::export::check_replace_file(&a.out, a.force, rhetor::export::FileKind::Classifier)?;
    let p = params(&a.model)?;
    let data = load(&a.data, columns(&a.cols), true)?;
    let texts = data.text_refs();
    let labels = data.labels.as_ref().context("no label column")?;
    let targets = data.target_refs();
    let model = match &targets {
        Some(t) => TrainedModel::PerTarget(p.train_per_target(&texts, labels, t)?),
        None => TrainedModel::Single(p.train(&texts, labels)?),
    };
    let file = ModelFile::new(
        model,
        TrainingInfo::from_data(&texts, labels, targets.as_deref()),
    );
    file.save(&a.out)
        .with_context(|| format!("writing '{}'", a.out.display()))?;
    report_embedding(&p, cli);
    if !cli.quiet {
        eprintln!(
            "wrote {}: {} rows ({} skipped), classes {}",
            a.out.display(),
            texts.len(),
            data.n_skipped,
            file.classes().join(", ")
        );
    }
    Ok(exit_code(&data))
}

/// `rhetor evaluate`.
pub fn evaluate(a: &EvaluateArgs, cli: &Cli) -> Result<i32> {
    if a.codebook.is_some() {
        return zero_shot(a, cli);
    }
    let p = params(&a.model)?;
    let mut cols = columns(&a.cols);
    cols.group_col = a.group_col.clone();
    cols.split_col = a.split_col.clone();
    let scheme = match (&a.split_col, &a.group_col) {
        (Some(column), _) => FoldScheme::Split {
            column: column.clone(),
            train: a.train_value.clone(),
            test: a.test_value.clone(),
        },
        (None, Some(_)) => FoldScheme::Grouped { folds: a.folds },
        (None, None) => FoldScheme::Stratified { folds: a.folds },
    };
    rhetor::export::check_no_overlap(&a.data, &a.out, "data")?;
    let dir = rhetor::export::RunDir::create(&a.out, a.force)?;
    let data = load(&a.data, cols, true)?;
    let mut ev = supervised::cross_validate(&p, &data, &scheme)?;
    report_embedding(&p, cli);
    let kv = vec![("rhetor.seed".to_string(), p.params().seed.to_string())];
    dir.write_parquet("eval_metrics.parquet", &mut ev.metrics.frame()?, &kv)?;
    dir.write_parquet("eval_predictions.parquet", &mut ev.predictions, &kv)?;
    let out_dir = dir.commit()?;
    // The table goes to stdout (data); the note to stderr.
    for line in ev.metrics.summary() {
        println!("{line}");
    }
    if !cli.quiet {
        eprintln!(
            "wrote {} ({} rows skipped)",
            out_dir.display(),
            data.n_skipped
        );
    }
    Ok(exit_code(&data))
}

/// `rhetor predict`.
pub fn predict(a: &PredictArgs, cli: &Cli) -> Result<i32> {
    rhetor::export::check_no_overlap(&a.data, &a.out, "data")?;
    rhetor::export::check_no_overlap(&a.model, &a.out, "model file")?;
    rhetor::export::check_replace_file(&a.out, a.force, rhetor::export::FileKind::Parquet)?;
    let model =
        ModelFile::load(&a.model).with_context(|| format!("model '{}'", a.model.display()))?;
    let data = load(&a.data, columns(&a.cols), false)?;
    let texts = data.text_refs();
    let targets = data.target_refs();
    if matches!(model.model, TrainedModel::PerTarget(_)) && targets.is_none() {
        bail!(
            "model '{}' has one model per target: give the target column with --target-col",
            a.model.display()
        );
    }
    let pred = model.predict(&texts, targets.as_deref())?;
    let mut df = supervised::predictions_frame("predictions", data.ids.clone(), Vec::new(), &pred)?;
    rhetor::export::write_parquet(&a.out, &mut df, &[])?;
    if !cli.quiet {
        eprintln!("wrote {}: {} predictions", a.out.display(), texts.len());
    }
    Ok(exit_code(&data))
}

/// `rhetor evaluate --codebook`: zero-shot labels of a codebook against gold labels.
fn zero_shot(a: &EvaluateArgs, cli: &Cli) -> Result<i32> {
    use rhetor::label::{self, Codebook};
    let cb_arg = a.codebook.as_deref().unwrap_or_default();
    let codebook = Codebook::load(&label::codebook::resolve(cb_arg, None))?;
    let map = match &a.label_map {
        Some(p) => supervised::LabelMap::load(p)?,
        None => supervised::LabelMap::default(),
    };
    rhetor::export::check_no_overlap(&a.data, &a.out, "data")?;
    if codebook.dimension.is_empty() {
        bail!("the codebook has no dimension");
    }
    let dir = rhetor::export::RunDir::create(&a.out, a.force)?;
    let mut cols = columns(&a.cols);
    cols.split_col = a.split_col.clone();
    let data = load(&a.data, cols, true)?;
    let embedder = match a.transformer {
        true => Some(rhetor::embed::transformer::load(
            &rhetor::embed::transformer::fetch::default_models_dir(),
            &Default::default(),
        )?),
        false => None,
    };
    let spec = supervised::ZeroShotSpec {
        codebook: &codebook,
        map: &map,
        test_value: &a.test_value,
        target: a.target.as_deref(),
        embedder: embedder.as_ref(),
    };
    let mut z = supervised::zero_shot(&data, &spec)?;
    if !z.unmatched.is_empty() && !cli.quiet {
        eprintln!(
            "warning: codebook label(s) {} match no gold label ({}) and are not in a --label-map: \
             paragraphs given them count as unsure",
            z.unmatched.join(", "),
            z.gold_classes.join(", ")
        );
    }
    dir.write_parquet("eval_metrics.parquet", &mut z.metrics.frame()?, &[])?;
    dir.write_parquet("eval_predictions.parquet", &mut z.predictions, &[])?;
    let out = dir.commit()?;
    println!("{}", z.summary);
    if !cli.quiet {
        eprintln!("wrote {}", out.display());
    }
    Ok(exit_code(&data))
}
