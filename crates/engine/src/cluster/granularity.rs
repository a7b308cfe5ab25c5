//! The minimum cluster size chosen for the project's own data when it is left to the app
//! (`min_cluster_size` 0): HDBSCAN at a ladder of sizes over the same reduction, each
//! labelling scored by its stability — refitted on random subsamples, does it group the
//! reports the same way? (`ml::cluster::sweep_stability`) — the most stable kept. Each is
//! also scored by its density-based validity (DBCV), which chose before and is shown beside.
//! The run records every size tried with its scores, cluster count and noise, so the window
//! can show the alternatives beside the choice.
//!
//! Why stability rather than DBCV (`bench quality`, up to 4,000 documents each, with
//! boilerplate taken out): DBCV favours the finer sizes whose clusters split one kind of
//! report by its wording (its best: 20, 15, 30, 45 and 20 on genai-incidents, HPO, 20
//! Newsgroups, BBC News and the demo), stability the coarser ones (100, 100, 100, 45, 70),
//! which gave V-measure / ARI .384/.232, .562/.347, .635/.416, .616/.434 and .888/.777 —
//! each above BERTopic's defaults on both.

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

/// How much less stable than the best the previous run's size may be and still be kept: a
/// re-analysis after more reports arrive keeps the granularity its reviewers know (and with
/// it most cluster ids) unless another size is clearly better. Stability moves by a few
/// hundredths between neighbouring sizes (`bench quality` prints them).
const KEEP_PREVIOUS_MARGIN: f64 = 0.05;

/// Subsamples each size is refitted on, and the share of the points each holds: four
/// rounds cost four more spanning trees (about a second on 20,000 reports) and put the
/// sizes in the same order as more rounds would on the corpora measured.
const STABILITY_ROUNDS: usize = 4;
const STABILITY_SHARE: f64 = 0.8;

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

/// The labels of the most stable size on the ladder for the `n` reduced points, and how it
/// was chosen. `min_samples`, when given, holds for every size instead of
/// `SWEEP_MIN_SAMPLES`. `previous`: the size (in fitted reports) the previous run of the
/// model chose, kept when nearly as stable as the best.
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
    let mut swept = ml::cluster::hdbscan_sweep(reduced, n, dim, &sizes, Some(min_samples.unwrap_or(SWEEP_MIN_SAMPLES)))?;
    ml::cluster::sweep_stability(reduced, n, dim, &mut swept, STABILITY_ROUNDS, STABILITY_SHARE, ml::rng::DEFAULT_SEED)?;
    let score = |p: &SweepPoint| p.stability.unwrap_or(p.validity);
    // The most stable of the partitions (none over MAX_LARGEST_SHARE in one cluster, when
    // there is such a one); among equals, the smaller size (finer clusters to review).
    let partitions = |p: &SweepPoint| p.clusters > 0 && p.largest as f64 <= MAX_LARGEST_SHARE * n as f64;
    let any_partition = swept.iter().any(|(p, _)| partitions(p));
    let best = swept
        .iter()
        .enumerate()
        .filter(|(_, (p, _))| !any_partition || partitions(p))
        .max_by(|(i, a), (j, b)| score(&a.0).total_cmp(&score(&b.0)).then(j.cmp(i)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let kept = previous.and_then(|size| {
        swept.iter().position(|(p, _)| {
            p.min_cluster_size == size
                && (!any_partition || partitions(p))
                && score(p) >= score(&swept[best].0) - KEEP_PREVIOUS_MARGIN
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
                    "the previous run's size, kept: within {KEEP_PREVIOUS_MARGIN} of the most stable of HDBSCAN's labellings at {} sizes",
                    candidates.len()
                ),
                None => format!(
                    "the most stable of HDBSCAN's labellings at {} sizes (refitted on {STABILITY_ROUNDS} random {:.0}% subsamples), none holding over half the reports in one cluster",
                    candidates.len(),
                    100.0 * STABILITY_SHARE
                ),
            },
            min_cluster_size: whole(chosen.min_cluster_size),
            min_samples: chosen.min_samples,
            fitted_share: share,
            candidates,
        },
    ))
}

