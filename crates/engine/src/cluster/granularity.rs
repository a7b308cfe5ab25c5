//! The minimum cluster size chosen for the project's own data when it is left to the app
//! (`min_cluster_size` 0): HDBSCAN at a ladder of sizes over the same reduction, each
//! labelling scored by its density-based validity (DBCV from the spanning tree), the most
//! valid kept. The run records every size tried with its score, cluster count and noise,
//! so the window can show the alternatives beside the choice.

use super::options::ClusterError;
use ml::cluster::SweepPoint;
use serde::{Deserialize, Serialize};

/// The sizes tried, where the data has at least four times as many fitted reports. None
/// is over 100: a hundred alike reports are always worth a reviewer's look, and a larger
/// minimum folds an emerging signal of that size into noise (measured on the demo's 20,000
/// reports: the most valid size, 220, left 137 of the 156 reports of its medication spike
/// in no cluster).
const LADDER: [usize; 7] = [10, 15, 20, 30, 45, 70, 100];

/// The density estimate's neighbourhood for every size on the ladder, unless one is given:
/// HDBSCAN's and BERTopic's smallest default. DBCV compares labellings of one
/// mutual-reachability graph, so the graph stays the same across sizes; with min_samples
/// equal to each size instead, the validity of graphs built with more neighbours grows with
/// them and the choice ran to the largest sizes (`bench quality`, BBC News: size 150, 3
/// clusters, V 0.446). Measured alternatives: 15 chose finer clusters on the demo's 20,000
/// reports (108 clusters, V 0.674 against 0.714 here); 20 kept only 77% of cluster ids when
/// the demo was re-analysed with 2,000 more reports (94% here). The cost of 10: on BBC News
/// it chooses 25 clusters where one in 500 reports gave 16 (V 0.586 against 0.682).
const SWEEP_MIN_SAMPLES: usize = 10;

/// A labelling whose largest cluster holds more than this share of the fitted reports is
/// not chosen while another is left: "most reports are alike" is no partition to review.
/// Such labellings score well on DBCV (one dense mass, a few satellites): on 20 Newsgroups
/// and genai-incidents the most valid size put 73% and 61% of reports in one cluster.
const MAX_LARGEST_SHARE: f64 = 0.5;

/// How much less valid than the best the previous run's size may be and still be kept: a
/// re-analysis after more reports arrive keeps the granularity its reviewers know (and with
/// it most cluster ids) unless another size is clearly better. Validity moves by a few
/// hundredths between neighbouring sizes (`bench quality` prints them).
const KEEP_PREVIOUS_MARGIN: f64 = 0.05;

/// How an analysis chose its granularity.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Granularity {
    pub chosen_by: String,
    /// The chosen minimum cluster size, as a count of reports in the whole dataset.
    pub min_cluster_size: usize,
    pub min_samples: usize,
    /// Share of the reports the clusters were fitted on (the candidates' sizes count
    /// fitted reports).
    pub fitted_share: f64,
    pub candidates: Vec<SweepPoint>,
}

/// The labels of the most valid size on the ladder for the `n` reduced points, and how it
/// was chosen. `min_samples`, when given, holds for every size instead of
/// `SWEEP_MIN_SAMPLES`. `previous`: the size (in fitted reports) the previous run of the
/// model chose, kept when nearly as valid as the best.
pub(super) fn choose(
    reduced: &[f32],
    n: usize,
    dim: usize,
    min_samples: Option<usize>,
    share: f64,
    previous: Option<usize>,
) -> Result<(Vec<i32>, Granularity), ClusterError> {
    let mut sizes: Vec<usize> = LADDER.iter().copied().filter(|&s| s * 4 <= n).collect();
    if sizes.is_empty() {
        sizes.push((n / 4).max(2));
    }
    let swept = ml::cluster::hdbscan_sweep(reduced, n, dim, &sizes, Some(min_samples.unwrap_or(SWEEP_MIN_SAMPLES)))?;
    // The most valid of the partitions (none over MAX_LARGEST_SHARE in one cluster, when
    // there is such a one); among equals, the smaller size (finer clusters to review).
    let partitions = |p: &SweepPoint| p.clusters > 0 && p.largest as f64 <= MAX_LARGEST_SHARE * n as f64;
    let any_partition = swept.iter().any(|(p, _)| partitions(p));
    let best = swept
        .iter()
        .enumerate()
        .filter(|(_, (p, _))| !any_partition || partitions(p))
        .max_by(|(i, a), (j, b)| a.0.validity.total_cmp(&b.0.validity).then(j.cmp(i)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let kept = previous.and_then(|size| {
        swept.iter().position(|(p, _)| {
            p.min_cluster_size == size
                && (!any_partition || partitions(p))
                && p.validity >= swept[best].0.validity - KEEP_PREVIOUS_MARGIN
        })
    });
    let best = kept.unwrap_or(best);
    let candidates: Vec<SweepPoint> = swept.iter().map(|(p, _)| *p).collect();
    let chosen = candidates[best];
    let labels = swept.into_iter().nth(best).map(|(_, l)| l).unwrap_or_default();
    let whole = |size: usize| if share < 1.0 { (size as f64 / share).round() as usize } else { size };
    Ok((
        labels,
        Granularity {
            chosen_by: match kept {
                Some(_) => format!(
                    "the previous run's size, kept: within {KEEP_PREVIOUS_MARGIN} of the most valid (DBCV) of HDBSCAN's labellings at {} sizes",
                    candidates.len()
                ),
                None => format!(
                    "the most valid (DBCV) of HDBSCAN's labellings at {} sizes, none holding over half the reports in one cluster",
                    candidates.len()
                ),
            },
            min_cluster_size: whole(chosen.min_cluster_size),
            min_samples: chosen.min_samples,
            fitted_share: share,
            candidates,
        },
    ))
}

