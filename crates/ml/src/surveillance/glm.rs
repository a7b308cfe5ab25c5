//! The quasi-Poisson regression (log link) behind the Farrington detectors, fitted the way
//! R's `glm.fit` fits it, step for step, so that the bounds built on it agree with R's to
//! rounding: start from μ = y + 0.1, iteratively reweighted least squares with working
//! weights ω·μ, stop when the deviance moves by less than 1e-8 of itself (25 iterations at
//! most). What R keeps of the fit is kept the same way: the working weights of the last
//! iteration's start (the hat values and the covariance are theirs) and the working
//! residuals of its end.

use nalgebra::{DMatrix, DVector};

/// R's `glm.control()`.
const EPSILON: f64 = 1e-8;
const MAX_ITERATIONS: usize = 25;

/// A model matrix, row-major: one row per observation.
#[derive(Debug, Clone)]
pub struct Design {
    pub columns: usize,
    pub values: Vec<f64>,
}

impl Design {
    pub fn rows(&self) -> usize {
        self.values.len() / self.columns.max(1)
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.columns..(i + 1) * self.columns]
    }
}

#[derive(Debug, Clone)]
pub struct Fit {
    pub coefficients: Vec<f64>,
    /// The fitted means.
    pub mu: Vec<f64>,
    /// ω·μ at the start of the last iteration (R's `weights`).
    pub working_weights: Vec<f64>,
    /// (X'WX)⁻¹ with those weights (R's `cov.unscaled`).
    pub cov_unscaled: DMatrix<f64>,
    pub converged: bool,
    /// Observations less parameters.
    pub df_residual: usize,
}

impl Fit {
    /// (y − μ)/μ, R's working residuals.
    pub fn working_residual(&self, y: &[f64], i: usize) -> f64 {
        (y[i] - self.mu[i]) / self.mu[i]
    }

    /// R's Pearson estimate of the dispersion from the working weights and residuals:
    /// Σ W r² / (n − p).
    pub fn dispersion(&self, y: &[f64]) -> f64 {
        let total: f64 = (0..y.len()).map(|i| self.working_weights[i] * self.working_residual(y, i).powi(2)).sum();
        total / self.df_residual as f64
    }

    /// x'(X'WX)⁻¹x.
    pub fn quadratic(&self, x: &[f64]) -> f64 {
        let v = DVector::from_column_slice(x);
        (v.transpose() * &self.cov_unscaled * &v)[(0, 0)]
    }

    /// The leverage of observation i: W_i x_i'(X'WX)⁻¹x_i.
    pub fn hat(&self, design: &Design, i: usize) -> f64 {
        self.working_weights[i] * self.quadratic(design.row(i))
    }

    /// The prediction at x: the linear predictor x'β.
    pub fn linear_predictor(&self, x: &[f64]) -> f64 {
        x.iter().zip(&self.coefficients).map(|(a, b)| a * b).sum()
    }
}

/// The Poisson deviance, Σ ω · 2 (y ln(y/μ) − (y − μ)), with 0 · ln 0 = 0.
fn deviance(y: &[f64], mu: &[f64], prior: &[f64]) -> f64 {
    y.iter()
        .zip(mu)
        .zip(prior)
        .map(|((&y, &m), &w)| {
            let log_term = if y > 0.0 { y * (y / m).ln() } else { 0.0 };
            2.0 * w * (log_term - (y - m))
        })
        .sum()
}

/// Fits log E[y] = Xβ with prior weights `prior`. None when the counts are not usable (a
/// negative or non-finite count, fewer observations than parameters) or the weighted
/// cross-product cannot be inverted (the columns are collinear); a fit that runs out of
/// iterations comes back with `converged` false, as R's does.
pub fn fit_quasi_poisson(design: &Design, y: &[f64], prior: &[f64]) -> Option<Fit> {
    let (n, p) = (design.rows(), design.columns);
    if n != y.len() || n != prior.len() || n <= p || y.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
        return None;
    }
    let x = DMatrix::from_row_slice(n, p, &design.values);
    let mut eta: Vec<f64> = y.iter().map(|v| (v + 0.1).ln()).collect();
    let mut mu: Vec<f64> = eta.iter().map(|e| e.exp()).collect();
    let mut deviance_before = deviance(y, &mu, prior);
    let mut converged = false;
    let mut weights = vec![0.0; n];
    let mut beta = DVector::zeros(p);
    let mut inverse = DMatrix::zeros(p, p);
    for _ in 0..MAX_ITERATIONS {
        let mut xtwx = DMatrix::<f64>::zeros(p, p);
        let mut xtwz = DVector::<f64>::zeros(p);
        for i in 0..n {
            weights[i] = prior[i] * mu[i];
            let z = eta[i] + (y[i] - mu[i]) / mu[i];
            let row = design.row(i);
            for a in 0..p {
                let wa = weights[i] * row[a];
                xtwz[a] += wa * z;
                for b in 0..=a {
                    xtwx[(a, b)] += wa * row[b];
                }
            }
        }
        for a in 0..p {
            for b in 0..a {
                xtwx[(b, a)] = xtwx[(a, b)];
            }
        }
        let cholesky = xtwx.cholesky()?;
        beta = cholesky.solve(&xtwz);
        inverse = cholesky.inverse();
        let fitted = &x * &beta;
        for i in 0..n {
            eta[i] = fitted[i];
            mu[i] = fitted[i].exp();
        }
        let deviance_now = deviance(y, &mu, prior);
        if !deviance_now.is_finite() || mu.iter().any(|m| !(m.is_finite() && *m > 0.0)) {
            return None;
        }
        if (deviance_now - deviance_before).abs() / (deviance_now.abs() + 0.1) < EPSILON {
            converged = true;
            break;
        }
        deviance_before = deviance_now;
    }
    Some(Fit {
        coefficients: beta.iter().copied().collect(),
        mu,
        working_weights: weights,
        cov_unscaled: inverse,
        converged,
        df_residual: n - p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(columns: usize, values: Vec<f64>) -> Design {
        Design { columns, values }
    }

    /// Counts that are exactly exp(a + b t) are fitted exactly (the package's test of its
    /// Anscombe residuals rests on this).
    #[test]
    fn an_exact_log_linear_series_is_fitted_exactly() {
        let t: Vec<f64> = (0..20).map(f64::from).collect();
        let y: Vec<f64> = t.iter().map(|t| (0.5 + 0.1 * t).exp()).collect();
        let x = design(2, t.iter().flat_map(|t| [1.0, *t]).collect());
        let fit = fit_quasi_poisson(&x, &y, &vec![1.0; 20]).unwrap();
        assert!(fit.converged);
        assert!((fit.coefficients[0] - 0.5).abs() < 1e-8 && (fit.coefficients[1] - 0.1).abs() < 1e-8, "{:?}", fit.coefficients);
        assert!(fit.dispersion(&y) < 1e-12);
    }

    /// An intercept-only model's mean is the (weighted) average count, its dispersion the
    /// Pearson statistic over n − 1, its leverages 1/n.
    #[test]
    fn an_intercept_model_is_the_mean() {
        let y = [3.0, 0.0, 5.0, 2.0, 4.0, 1.0, 6.0, 3.0];
        let x = design(1, vec![1.0; 8]);
        let fit = fit_quasi_poisson(&x, &y, &[1.0; 8]).unwrap();
        let mean = 3.0;
        assert!((fit.mu[0] - mean).abs() < 1e-9);
        let pearson: f64 = y.iter().map(|v| (v - mean).powi(2) / mean).sum::<f64>() / 7.0;
        assert!((fit.dispersion(&y) - pearson).abs() < 1e-7, "{} {pearson}", fit.dispersion(&y));
        assert!((fit.hat(&x, 2) - 0.125).abs() < 1e-9);
        let weighted = fit_quasi_poisson(&x, &y, &[1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0]).unwrap();
        assert!((weighted.mu[0] - 34.0 / 10.0).abs() < 1e-9);
    }

    #[test]
    fn unusable_input_is_refused() {
        let x = design(2, vec![1.0, 0.0, 1.0, 1.0, 1.0, 2.0]);
        assert!(fit_quasi_poisson(&x, &[1.0, -1.0, 2.0], &[1.0; 3]).is_none(), "a negative count");
        assert!(fit_quasi_poisson(&x, &[1.0, f64::NAN, 2.0], &[1.0; 3]).is_none());
        assert!(fit_quasi_poisson(&x, &[1.0, 2.0], &[1.0; 2]).is_none(), "rows and counts differ");
        let collinear = design(2, vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
        assert!(fit_quasi_poisson(&collinear, &[1.0, 2.0, 3.0], &[1.0; 3]).is_none());
    }
}
