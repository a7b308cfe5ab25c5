//! What each cluster shows: c-TF-IDF keywords, the reports nearest its centroid and its
//! mean map position.

use super::keywords;
use super::options::{AnalyseOptions, ClusterError};
use crate::jobs::Progress;
use crate::store::{ModelRecord, TextFields};
use crate::store::Store;

/// What a cluster shows: size, keywords, representative incidents, and its map position.
#[derive(Debug, Clone)]
pub(crate) struct Described {
    pub cluster: i64,
    pub size: usize,
    pub keywords: Vec<String>,
    pub representatives: Vec<i64>,
    pub x: f32,
    pub y: f32,
}

/// Each cluster's keywords (see `keywords::c_tf_idf`), the texts streamed from the store
/// three times, with progress over the passes. Text the model's vectors were made without (the
/// project's boilerplate, when the vectors' provenance names it) is left out here too, so
/// the words that name a cluster are the words that formed it.
pub(crate) fn cluster_keywords(
    store: &Store,
    model: &ModelRecord,
    ids: &[i64],
    assignment: &[i64],
    options: &AnalyseOptions,
    progress: &dyn Progress,
) -> Result<Vec<(i64, Vec<String>)>, ClusterError> {
    let fields = TextFields::parse(&model.text_fields).unwrap_or(TextFields::Description);
    let filter = crate::encode::boilerplate::for_stored(store.dir(), &model.name, &model.provenance, fields)?;
    progress.set_total(3 * ids.len() as u64);
    let mut pass = 0;
    let each_text = |visit: &mut dyn FnMut(usize, &str)| {
        let base = pass * ids.len();
        pass += 1;
        super::texts::visit_texts(store, ids, fields, &mut |i, text| {
            if i % 16_384 == 0 {
                progress.set_position((base + i) as u64);
            }
            match &filter {
                Some(f) => visit(i, &f.strip(text)),
                None => visit(i, text),
            }
        })
    };
    let keywords = keywords::c_tf_idf_streamed(each_text, assignment, options.keywords, 3)?;
    progress.set_position(3 * ids.len() as u64);
    Ok(keywords)
}

/// The keywords given (`cluster_keywords`), the reports closest to each centroid (cosine on
/// the model's vectors) and the mean map position of each cluster in `assignment`.
pub(crate) fn describe_clusters(
    ids: &[i64],
    data: &[f32],
    dim: usize,
    map: &[f32],
    assignment: &[i64],
    keywords: Vec<(i64, Vec<String>)>,
    options: &AnalyseOptions,
) -> Result<Vec<Described>, ClusterError> {
    // Rows of each cluster, gathered in one pass.
    let mut rows_of: std::collections::HashMap<i64, Vec<usize>> = std::collections::HashMap::new();
    for (i, &c) in assignment.iter().enumerate() {
        if c >= 0 {
            rows_of.entry(c).or_default().push(i);
        }
    }
    let mut out = Vec::with_capacity(keywords.len());
    for (cluster, words) in keywords {
        let members = rows_of.remove(&cluster).unwrap_or_default();
        let mut centroid = vec![0.0f32; dim];
        let (mut x, mut y) = (0.0f64, 0.0f64);
        for &i in &members {
            for (c, v) in centroid.iter_mut().zip(&data[i * dim..(i + 1) * dim]) {
                *c += v;
            }
            x += map[i * 2] as f64;
            y += map[i * 2 + 1] as f64;
        }
        let norm = centroid
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
            .sqrt()
            .max(f32::MIN_POSITIVE);
        centroid.iter_mut().for_each(|v| *v /= norm);
        let mut by_closeness: Vec<(f32, i64)> = members
            .iter()
            .map(|&i| {
                let sim: f32 = data[i * dim..(i + 1) * dim]
                    .iter()
                    .zip(&centroid)
                    .map(|(a, b)| a * b)
                    .sum();
                (-sim, ids[i])
            })
            .collect();
        by_closeness.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let count = members.len().max(1) as f64;
        out.push(Described {
            cluster,
            size: members.len(),
            keywords: words,
            representatives: by_closeness
                .iter()
                .take(options.representatives)
                .map(|p| p.1)
                .collect(),
            x: (x / count) as f32,
            y: (y / count) as f32,
        });
    }
    Ok(out)
}
