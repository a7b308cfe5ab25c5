//! Inter-rater agreement on nominal labels: Cohen's kappa (two raters), Fleiss' kappa (a
//! fixed number of raters per item), Krippendorff's alpha (any number of raters, missing
//! ratings allowed) and Gwet's AC1 (which stays meaningful on skewed labels such as harm,
//! where about 90% of reports are low or no harm and the kappas collapse).
//!
//! Input everywhere is one list of category indexes per item: the labels the item got,
//! one per rater who labelled it, in any order.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Chance {
    /// Observed agreement.
    pub observed: f64,
    /// Agreement expected by chance.
    pub expected: f64,
    /// (observed - expected) / (1 - expected); `None` when expected agreement is 1 (every
    /// rating in one category: agreement is undefined, not perfect).
    pub value: Option<f64>,
}

fn chance(observed: f64, expected: f64) -> Chance {
    let value = if (1.0 - expected).abs() < 1e-12 {
        None
    } else {
        Some((observed - expected) / (1.0 - expected))
    };
    Chance {
        observed,
        expected,
        value,
    }
}

/// Cohen's kappa for two raters: `pairs` holds (rater A's label, rater B's label) per item.
pub fn cohen_kappa(pairs: &[(usize, usize)], categories: usize) -> Chance {
    let n = pairs.len() as f64;
    if pairs.is_empty() {
        return Chance {
            observed: 0.0,
            expected: 0.0,
            value: None,
        };
    }
    let mut a = vec![0.0; categories];
    let mut b = vec![0.0; categories];
    let mut agree = 0.0;
    for &(x, y) in pairs {
        a[x] += 1.0;
        b[y] += 1.0;
        if x == y {
            agree += 1.0;
        }
    }
    let expected = a.iter().zip(&b).map(|(p, q)| (p / n) * (q / n)).sum();
    chance(agree / n, expected)
}

/// Per item, how many ratings fell in each category.
fn counts(items: &[Vec<usize>], categories: usize) -> Vec<Vec<f64>> {
    items
        .iter()
        .map(|labels| {
            let mut c = vec![0.0; categories];
            for &l in labels {
                c[l] += 1.0;
            }
            c
        })
        .collect()
}

/// Fleiss' kappa. Every item must have the same number of ratings (at least 2); items that
/// do not are an error, since the statistic is not defined for them.
pub fn fleiss_kappa(items: &[Vec<usize>], categories: usize) -> Result<Chance, String> {
    let raters = items.first().map(|i| i.len()).unwrap_or(0);
    if raters < 2 || items.iter().any(|i| i.len() != raters) {
        return Err(
            "Fleiss' kappa needs the same number of ratings (2 or more) on every item".into(),
        );
    }
    let n = raters as f64;
    let table = counts(items, categories);
    let total = items.len() as f64 * n;
    let p_j: Vec<f64> = (0..categories)
        .map(|j| table.iter().map(|row| row[j]).sum::<f64>() / total)
        .collect();
    let p_i: Vec<f64> = table
        .iter()
        .map(|row| (row.iter().map(|c| c * c).sum::<f64>() - n) / (n * (n - 1.0)))
        .collect();
    let observed = p_i.iter().sum::<f64>() / items.len() as f64;
    let expected = p_j.iter().map(|p| p * p).sum();
    Ok(chance(observed, expected))
}

/// Krippendorff's alpha for nominal data, from the coincidence matrix. Items with fewer
/// than two ratings carry no information about agreement and are left out, as the
/// statistic prescribes.
pub fn krippendorff_alpha_nominal(items: &[Vec<usize>], categories: usize) -> Chance {
    let mut o = vec![vec![0.0; categories]; categories];
    for labels in items.iter().filter(|l| l.len() >= 2) {
        let m = labels.len() as f64;
        for (i, &c) in labels.iter().enumerate() {
            for (j, &k) in labels.iter().enumerate() {
                if i != j {
                    o[c][k] += 1.0 / (m - 1.0);
                }
            }
        }
    }
    let n_c: Vec<f64> = o.iter().map(|row| row.iter().sum()).collect();
    let n: f64 = n_c.iter().sum();
    if n <= 1.0 {
        return Chance {
            observed: 0.0,
            expected: 0.0,
            value: None,
        };
    }
    let d_o: f64 = (0..categories)
        .flat_map(|c| (0..categories).map(move |k| (c, k)))
        .filter(|(c, k)| c != k)
        .map(|(c, k)| o[c][k])
        .sum::<f64>()
        / n;
    let d_e: f64 = (0..categories)
        .flat_map(|c| (0..categories).map(move |k| (c, k)))
        .filter(|(c, k)| c != k)
        .map(|(c, k)| n_c[c] * n_c[k])
        .sum::<f64>()
        / (n * (n - 1.0));
    // Reported as agreement (1 - disagreement) so it reads like the kappas.
    let value = if d_e.abs() < 1e-12 {
        None
    } else {
        Some(1.0 - d_o / d_e)
    };
    Chance {
        observed: 1.0 - d_o,
        expected: 1.0 - d_e,
        value,
    }
}

/// Gwet's AC1 for any number of raters per item (Gwet 2008, equations for multiple raters):
/// chance agreement is `sum_k pi_k (1 - pi_k) / (K - 1)`, which stays small when one
/// category dominates, unlike the kappas'. Items with fewer than two ratings are left out.
pub fn gwet_ac1(items: &[Vec<usize>], categories: usize) -> Chance {
    let rated: Vec<&Vec<usize>> = items.iter().filter(|l| l.len() >= 2).collect();
    if rated.is_empty() || categories < 2 {
        return Chance {
            observed: 0.0,
            expected: 0.0,
            value: None,
        };
    }
    let table = counts(
        &rated.iter().map(|l| (*l).clone()).collect::<Vec<_>>(),
        categories,
    );
    let mut observed = 0.0;
    let mut pi = vec![0.0; categories];
    for (row, labels) in table.iter().zip(&rated) {
        let r = labels.len() as f64;
        observed += row.iter().map(|c| c * (c - 1.0)).sum::<f64>() / (r * (r - 1.0));
        for k in 0..categories {
            pi[k] += row[k] / r;
        }
    }
    let n = rated.len() as f64;
    observed /= n;
    let expected =
        pi.iter().map(|p| (p / n) * (1.0 - p / n)).sum::<f64>() / (categories as f64 - 1.0);
    chance(observed, expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64, tol: f64) {
        let a = a.expect("defined");
        assert!((a - b).abs() < tol, "{a} vs {b}");
    }

    /// Cohen's kappa, the worked example in Wikipedia's "Cohen's kappa" article: 50
    /// proposals, both readers yes on 20, A yes B no on 5, A no B yes on 10, both no on 15.
    /// p_o = 0.7, p_e = 0.5, kappa = 0.4.
    #[test]
    fn cohen_matches_the_worked_example() {
        let mut pairs = vec![(0, 0); 20];
        pairs.extend(vec![(0, 1); 5]);
        pairs.extend(vec![(1, 0); 10]);
        pairs.extend(vec![(1, 1); 15]);
        let k = cohen_kappa(&pairs, 2);
        assert!((k.observed - 0.7).abs() < 1e-12 && (k.expected - 0.5).abs() < 1e-12);
        close(k.value, 0.4, 1e-12);
    }

    /// Fleiss' kappa, the worked example in Wikipedia's "Fleiss' kappa" article: 14 raters,
    /// 10 subjects, 5 categories (column totals 20, 28, 39, 21, 32); P-bar = 0.378,
    /// P-bar_e = 0.213, kappa = 0.210.
    #[test]
    fn fleiss_matches_the_worked_example() {
        let table = [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ];
        let items: Vec<Vec<usize>> = table
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .flat_map(|(c, &n)| std::iter::repeat_n(c, n))
                    .collect()
            })
            .collect();
        let k = fleiss_kappa(&items, 5).unwrap();
        assert!((k.observed - 0.378).abs() < 5e-4, "{}", k.observed);
        assert!((k.expected - 0.213).abs() < 5e-4, "{}", k.expected);
        close(k.value, 0.210, 5e-4);
        assert!(fleiss_kappa(&[vec![0, 1], vec![0]], 2).is_err());
    }

    /// Krippendorff's alpha, the reliability data with missing values in Krippendorff (2011),
    /// "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units,
    /// values 1-5; nominal alpha = 0.743.
    #[test]
    fn krippendorff_matches_the_published_example() {
        // Rows: observers A-D; 0 means no value. Columns: units 1-12.
        let data = [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
            [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
        ];
        let items: Vec<Vec<usize>> = (0..12)
            .map(|u| {
                data.iter()
                    .map(|row| row[u])
                    .filter(|&v| v > 0)
                    .map(|v| v - 1)
                    .collect()
            })
            .collect();
        let a = krippendorff_alpha_nominal(&items, 5);
        close(a.value, 0.743, 5e-4);
    }

    /// Gwet's AC1 on the Cohen example above, by hand: pi_yes = (25/50 + 30/50) / 2 = 0.55,
    /// p_e = 2 * 0.55 * 0.45 / (2 - 1) = 0.495, AC1 = (0.7 - 0.495) / (1 - 0.495) = 0.40594.
    /// And the skew Gwet's paper warns about: 2 raters, 100 items, 90 both "no harm", 2 both
    /// "harm", 8 split. Kappa collapses to 0.28 while observed agreement is 0.92; AC1 = 0.90.
    #[test]
    fn gwet_ac1_by_hand_and_on_skewed_labels() {
        let mut pairs = vec![(0, 0); 20];
        pairs.extend(vec![(0, 1); 5]);
        pairs.extend(vec![(1, 0); 10]);
        pairs.extend(vec![(1, 1); 15]);
        let items: Vec<Vec<usize>> = pairs.iter().map(|&(a, b)| vec![a, b]).collect();
        close(gwet_ac1(&items, 2).value, 0.205 / 0.505, 1e-12);

        let mut skew = vec![(0, 0); 90];
        skew.extend(vec![(1, 1); 2]);
        skew.extend(vec![(0, 1); 4]);
        skew.extend(vec![(1, 0); 4]);
        let kappa = cohen_kappa(&skew, 2);
        // p_e = 0.94^2 + 0.06^2 = 0.8872; kappa = (0.92 - 0.8872) / 0.1128.
        close(kappa.value, (0.92 - 0.8872) / 0.1128, 1e-12);
        let items: Vec<Vec<usize>> = skew.iter().map(|&(a, b)| vec![a, b]).collect();
        // pi_harm = 0.06; p_e = 2 * 0.06 * 0.94 = 0.1128; AC1 = (0.92 - 0.1128) / 0.8872.
        close(gwet_ac1(&items, 2).value, (0.92 - 0.1128) / 0.8872, 1e-12);
    }

    /// Every statistic is 1 on perfect agreement and undefined (not 1) when every rating
    /// falls in one category.
    #[test]
    fn edge_cases() {
        let perfect = vec![vec![0, 0], vec![1, 1], vec![2, 2], vec![1, 1]];
        close(
            cohen_kappa(&[(0, 0), (1, 1), (2, 2), (1, 1)], 3).value,
            1.0,
            1e-12,
        );
        close(fleiss_kappa(&perfect, 3).unwrap().value, 1.0, 1e-12);
        close(krippendorff_alpha_nominal(&perfect, 3).value, 1.0, 1e-12);
        close(gwet_ac1(&perfect, 3).value, 1.0, 1e-12);
        let one = vec![vec![0, 0]; 5];
        assert_eq!(cohen_kappa(&[(0, 0); 5], 2).value, None);
        assert_eq!(fleiss_kappa(&one, 2).unwrap().value, None);
        assert_eq!(krippendorff_alpha_nominal(&one, 2).value, None);
    }
}
