//! The texts of a run's reports, streamed from the store: at a million reports they take
//! gigabytes held together, and the keywords need only one at a time.

use super::options::ClusterError;
use crate::store::{Store, TextFields};

/// Hands `visit` the text the model read for each of the given incidents, with its
/// position in `ids`, streamed from the store rather than held. Incidents with no row are
/// not visited.
pub(super) fn visit_texts(
    store: &Store,
    ids: &[i64],
    fields: TextFields,
    visit: &mut dyn FnMut(usize, &str),
) -> Result<(), ClusterError> {
    let conn = store.conn();
    if ids.windows(2).all(|w| w[0] < w[1]) {
        // Both in id order (as every caller has them): a merge, not a map of every id.
        let mut next = 0;
        crate::store::vectors::each_text(conn, fields, |id, text| {
            while next < ids.len() && ids[next] < id {
                next += 1;
            }
            if ids.get(next) == Some(&id) {
                visit(next, text);
                next += 1;
            }
        })
    } else {
        let position: std::collections::HashMap<i64, usize> =
            ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        crate::store::vectors::each_text(conn, fields, |id, text| {
            if let Some(&i) = position.get(&id) {
                visit(i, text);
            }
        })
    }
    .map_err(|e| ClusterError::Store(store.err(e)))
}
