//! How a reduced-precision dense layer splits its rows over the threads: fixed tasks of
//! `TASK_ROWS` rows, each writing its own rows of the output, so a row's result does not
//! depend on the batch or the thread count.

use super::finish::Epilogue;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Rows one task quantises and multiplies: a multiple of every tile height, small enough
/// that a batch of reports splits over the threads, large enough that each weight panel
/// read into cache serves many rows.
pub(super) const TASK_ROWS: usize = 96;

/// Runs `task(rows of x, index of its first row, its rows of the output)` over `x`'s rows
/// (`inputs` wide) in parallel and returns the output (`outputs` wide). `task` must write
/// every element of the output rows it is given.
pub(super) fn for_each_task(
    x: &[f32],
    inputs: usize,
    outputs: usize,
    epilogue: Epilogue,
    task: impl Fn(&[f32], usize, &mut [MaybeUninit<f32>]) + Sync,
) -> Vec<f32> {
    assert_eq!(x.len() % inputs.max(1), 0, "input shape");
    let rows = x.len() / inputs.max(1);
    if let Epilogue::BiasResidual(residual) = epilogue {
        assert_eq!(residual.len(), rows * outputs, "residual shape");
    }
    let mut out: Vec<f32> = Vec::with_capacity(rows * outputs);
    if rows == 0 || outputs == 0 {
        return out;
    }
    out.spare_capacity_mut()[..rows * outputs]
        .par_chunks_mut(TASK_ROWS * outputs)
        .enumerate()
        .for_each(|(index, chunk)| {
            let first = index * TASK_ROWS;
            let count = chunk.len() / outputs;
            task(&x[first * inputs..(first + count) * inputs], first, chunk);
        });
    // SAFETY: every task wrote every element of its chunk (the contract above), and the
    // chunks cover `rows * outputs`.
    unsafe { out.set_len(rows * outputs) };
    out
}
