//! The map's spatial index, built here so the window does not build it. The webview picks
//! the point under the mouse and the points in a lasso through a static kd-tree in
//! KDBush's serialised layout (version 1), which regl-scatterplot takes ready-made; at a
//! million points building it in the page held the first paint back by seconds on the
//! one thread a page has.
//!
//! ```text
//! u8 0xdb, u8 (1 << 4) | 7 (Float32Array coordinates), u16 node size, u32 n
//! ids u16[n] (n < 65,536) or u32[n], zero bytes to a multiple of 8, coords f32[2n] (x, y)
//! ```
//!
//! Rows are ordered as KDBush's own `finish` leaves them, in that every node splits at its
//! middle row: rows before it lie on one side of it on the node's axis, rows after it on
//! the other, axes taking turns from x. The order within that rule differs from KDBush's
//! (a different selection algorithm) and the searches do not depend on it.

/// Rows a leaf holds, KDBush's default in regl-scatterplot.
pub const NODE_SIZE: u16 = 16;
/// Index of `Float32Array` in KDBush's list of array types.
const FLOAT32: u8 = 7;

/// The index over the points `(x[i], y[i])`, ids being row numbers. Deterministic: the
/// same points give the same bytes.
pub fn kdbush(x: &[f32], y: &[f32]) -> Vec<u8> {
    let n = x.len().min(y.len());
    let mut rows: Vec<(u32, f32, f32)> = (0..n).map(|i| (i as u32, x[i], y[i])).collect();
    kd_sort(&mut rows, 0);
    let wide = n >= 65_536;
    let ids_bytes = n * if wide { 4 } else { 2 };
    let pad = (8 - ids_bytes % 8) % 8;
    let mut out = Vec::with_capacity(8 + ids_bytes + pad + 8 * n);
    out.push(0xdb);
    out.push((1 << 4) | FLOAT32);
    out.extend_from_slice(&NODE_SIZE.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    for &(id, _, _) in &rows {
        if wide {
            out.extend_from_slice(&id.to_le_bytes());
        } else {
            out.extend_from_slice(&(id as u16).to_le_bytes());
        }
    }
    out.resize(out.len() + pad, 0);
    for &(_, px, py) in &rows {
        out.extend_from_slice(&px.to_le_bytes());
        out.extend_from_slice(&py.to_le_bytes());
    }
    out
}

/// KDBush's node rule over `rows`, splitting on `axis` (0: x, 1: y). A node of more than
/// NODE_SIZE rows puts its middle row `(len - 1) / 2` in place, the same middle KDBush's
/// search takes as `(left + right) >> 1`, then sorts each side on the other axis.
fn kd_sort(rows: &mut [(u32, f32, f32)], axis: usize) {
    if rows.len() <= NODE_SIZE as usize + 1 {
        return;
    }
    let middle = (rows.len() - 1) / 2;
    let key = |r: &(u32, f32, f32)| if axis == 0 { r.1 } else { r.2 };
    rows.select_nth_unstable_by(middle, |a, b| key(a).total_cmp(&key(b)).then(a.0.cmp(&b.0)));
    let (before, rest) = rows.split_at_mut(middle);
    kd_sort(before, 1 - axis);
    kd_sort(&mut rest[1..], 1 - axis);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// KDBush's `range` search, as regl-scatterplot runs it over the bytes.
    fn range(index: &[u8], min: (f32, f32), max: (f32, f32)) -> Vec<u32> {
        let n = u32::from_le_bytes(index[4..8].try_into().unwrap()) as usize;
        let node = u16::from_le_bytes([index[2], index[3]]) as usize;
        let wide = n >= 65_536;
        let id = |i: usize| {
            if wide {
                u32::from_le_bytes(index[8 + 4 * i..12 + 4 * i].try_into().unwrap())
            } else {
                u16::from_le_bytes([index[8 + 2 * i], index[9 + 2 * i]]) as u32
            }
        };
        let ids_bytes = n * if wide { 4 } else { 2 };
        let coords = 8 + ids_bytes + (8 - ids_bytes % 8) % 8;
        let c = |i: usize, axis: usize| {
            let at = coords + 8 * i + 4 * axis;
            f32::from_le_bytes(index[at..at + 4].try_into().unwrap())
        };
        let inside = |i: usize| c(i, 0) >= min.0 && c(i, 0) <= max.0 && c(i, 1) >= min.1 && c(i, 1) <= max.1;
        let mut found = Vec::new();
        let mut stack = vec![(0usize, n as isize - 1, 0usize)];
        while let Some((left, right, axis)) = stack.pop() {
            if right < left as isize {
                continue;
            }
            let right = right as usize;
            if right - left <= node {
                found.extend((left..=right).filter(|&i| inside(i)).map(id));
                continue;
            }
            let m = (left + right) >> 1;
            if inside(m) {
                found.push(id(m));
            }
            let v = c(m, axis);
            if (if axis == 0 { min.0 } else { min.1 }) <= v {
                stack.push((left, m as isize - 1, 1 - axis));
            }
            if (if axis == 0 { max.0 } else { max.1 }) >= v {
                stack.push((m + 1, right as isize, 1 - axis));
            }
        }
        found.sort();
        found
    }

    fn points(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        };
        let x: Vec<f32> = (0..n).map(|_| next()).collect();
        // Ties on x: a column of points sharing one coordinate must not confuse the split.
        let x = x.into_iter().enumerate().map(|(i, v)| if i % 7 == 0 { 0.25 } else { v }).collect();
        let y = (0..n).map(|_| next()).collect();
        (x, y)
    }

    #[test]
    fn searches_over_the_index_find_exactly_the_points_in_a_box() {
        for n in [0, 1, 17, 18, 1_000, 70_000] {
            let (x, y) = points(n, n as u64 + 3);
            let index = kdbush(&x, &y);
            assert_eq!(index[0], 0xdb);
            let wide = if n >= 65_536 { 4 } else { 2 };
            assert_eq!(index.len(), 8 + n * wide + (8 - n * wide % 8) % 8 + 8 * n, "n = {n}");
            for (min, max) in [((-0.3, -0.2), (0.1, 0.4)), ((0.25, -1.0), (0.25, 1.0)), ((-2.0, -2.0), (2.0, 2.0)), ((0.9, 0.9), (0.95, 0.99))] {
                let expected: Vec<u32> = (0..n as u32)
                    .filter(|&i| {
                        let (px, py) = (x[i as usize], y[i as usize]);
                        px >= min.0 && px <= max.0 && py >= min.1 && py <= max.1
                    })
                    .collect();
                assert_eq!(range(&index, min, max), expected, "n = {n}, box {min:?}..{max:?}");
            }
        }
    }

    #[test]
    fn the_same_points_give_the_same_bytes() {
        let (x, y) = points(5_000, 11);
        assert_eq!(kdbush(&x, &y), kdbush(&x, &y));
    }
}
