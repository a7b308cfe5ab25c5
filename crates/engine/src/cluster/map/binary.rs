//! The cluster map as one binary buffer for the window: at a million reports its columns
//! as JSON are tens of megabytes to build and parse, while as typed arrays the webview
//! reads them in place. Little-endian throughout:
//!
//! ```text
//! "IAMAP\x02\0\0"          magic, format 2
//! u32                      header length H
//! H bytes                  header JSON: run, categories, care_settings, months, clusters,
//!                          points (n), ascii_ids (every external id is ASCII),
//!                          spatial_index_bytes (S)
//! zero bytes to a multiple of 8, then each column from a multiple of 4:
//! x f32[n], y f32[n], cluster i32[n], day i32[n], id_end u32[n],
//! category u16[n], care_setting u16[n], month u16[n], harm u8[n],
//! zero bytes to a multiple of 8, S bytes: the points' kd-tree (layout in `spatial.rs`),
//! zero bytes to a multiple of 4,
//! ids: the external ids' UTF-8 bytes back to back; id i ends at id_end[i]
//! ```

use super::columns::{MapCluster, MapData};
use super::spatial::kdbush;
use crate::cluster::{ClusterError, RunRecord};
use serde::Serialize;

pub const MAP_MAGIC: &[u8; 8] = b"IAMAP\x02\0\0";

#[derive(Serialize)]
struct Header<'a> {
    run: &'a RunRecord,
    categories: &'a [String],
    care_settings: &'a [String],
    months: &'a [String],
    clusters: &'a [MapCluster],
    points: usize,
    ascii_ids: bool,
    spatial_index_bytes: usize,
}

impl MapData {
    /// The map in the binary layout above.
    pub fn to_binary(&self) -> Result<Vec<u8>, ClusterError> {
        let n = self.x.len();
        let columns = [
            self.y.len(),
            self.cluster.len(),
            self.day.len(),
            self.external_id.len(),
            self.category.len(),
            self.care_setting.len(),
            self.month.len(),
            self.harm.len(),
        ];
        if columns.iter().any(|&len| len != n) {
            return Err(ClusterError::Invalid(format!(
                "map columns differ in length ({n} points, columns {columns:?})"
            )));
        }
        let spatial = kdbush(&self.x, &self.y);
        let header = serde_json::to_vec(&Header {
            run: &self.run,
            categories: &self.categories,
            care_settings: &self.care_settings,
            months: &self.months,
            clusters: &self.clusters,
            points: n,
            ascii_ids: self.external_id.iter().all(|id| id.is_ascii()),
            spatial_index_bytes: spatial.len(),
        })
        .map_err(|e| ClusterError::Invalid(format!("cannot write the map header: {e}")))?;
        let id_bytes: usize = self.external_id.iter().map(String::len).sum();
        let id_bytes_u32 = u32::try_from(id_bytes).map_err(|_| {
            ClusterError::Invalid(format!("the map's external ids take {id_bytes} bytes, over 4 GiB"))
        })?;
        let mut out = Vec::with_capacity(32 + header.len() + n * 27 + spatial.len() + id_bytes);
        out.extend_from_slice(MAP_MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        pad(&mut out, 8);
        out.extend(self.x.iter().flat_map(|v| v.to_le_bytes()));
        out.extend(self.y.iter().flat_map(|v| v.to_le_bytes()));
        for &c in &self.cluster {
            let c = i32::try_from(c)
                .map_err(|_| ClusterError::Invalid(format!("cluster id {c} is out of range for the map")))?;
            out.extend_from_slice(&c.to_le_bytes());
        }
        out.extend(self.day.iter().flat_map(|v| v.to_le_bytes()));
        let mut end = 0u32;
        for id in &self.external_id {
            // Fits: the total was checked above.
            end += id.len() as u32;
            out.extend_from_slice(&end.to_le_bytes());
        }
        debug_assert_eq!(end, id_bytes_u32);
        out.extend(self.category.iter().flat_map(|v| v.to_le_bytes()));
        out.extend(self.care_setting.iter().flat_map(|v| v.to_le_bytes()));
        out.extend(self.month.iter().flat_map(|v| v.to_le_bytes()));
        pad(&mut out, 4);
        out.extend_from_slice(&self.harm);
        pad(&mut out, 8);
        out.extend_from_slice(&spatial);
        pad(&mut out, 4);
        for id in &self.external_id {
            out.extend_from_slice(id.as_bytes());
        }
        Ok(out)
    }
}

fn pad(out: &mut Vec<u8>, to: usize) {
    out.resize(out.len().div_ceil(to) * to, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MapData {
        MapData {
            external_id: vec!["IA-1".into(), "ÉX-22".into(), "c".into()],
            x: vec![0.5, -1.0, 2.25],
            y: vec![1.0, 0.0, -3.5],
            cluster: vec![-1, 0, 7],
            category: vec![0, 1, 1],
            categories: vec!["Falls".into(), "(not recorded)".into()],
            harm: vec![1, 0, 5],
            care_setting: vec![0, 0, 0],
            care_settings: vec!["(not recorded)".into()],
            day: vec![19_000, 19_001, -3],
            month: vec![0, 0, 1],
            months: vec!["2022-01".into(), "2022-02".into()],
            ..MapData::default()
        }
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn columns_sit_where_the_layout_says() {
        let map = sample();
        let b = map.to_binary().unwrap();
        assert_eq!(&b[..8], MAP_MAGIC);
        let h = u32_at(&b, 8) as usize;
        let header: serde_json::Value = serde_json::from_slice(&b[12..12 + h]).unwrap();
        assert_eq!(header["points"], 3);
        assert_eq!(header["ascii_ids"], false);
        assert_eq!(header["months"][1], "2022-02");
        let mut at = (12 + h).div_ceil(8) * 8;
        let f32s: Vec<f32> = (0..6).map(|i| f32::from_bits(u32_at(&b, at + 4 * i))).collect();
        assert_eq!(f32s, vec![0.5, -1.0, 2.25, 1.0, 0.0, -3.5]);
        at += 24;
        let i32s: Vec<i32> = (0..6).map(|i| u32_at(&b, at + 4 * i) as i32).collect();
        assert_eq!(i32s, vec![-1, 0, 7, 19_000, 19_001, -3]);
        at += 24;
        let ends: Vec<u32> = (0..3).map(|i| u32_at(&b, at + 4 * i)).collect();
        assert_eq!(ends, vec![4, 10, 11]);
        at += 12;
        let u16s: Vec<u16> = (0..9).map(|i| u16::from_le_bytes([b[at + 2 * i], b[at + 2 * i + 1]])).collect();
        assert_eq!(u16s, vec![0, 1, 1, 0, 0, 0, 0, 0, 1]);
        at = (at + 18).div_ceil(4) * 4;
        assert_eq!(&b[at..at + 3], &[1, 0, 5]);
        at = (at + 3).div_ceil(8) * 8;
        let spatial = header["spatial_index_bytes"].as_u64().unwrap() as usize;
        assert_eq!(&b[at..at + spatial], &kdbush(&map.x, &map.y)[..]);
        assert_eq!(b[at], 0xdb);
        at = (at + spatial).div_ceil(4) * 4;
        assert_eq!(std::str::from_utf8(&b[at..]).unwrap(), "IA-1ÉX-22c");
    }

    #[test]
    fn uneven_columns_or_huge_cluster_ids_are_refused() {
        let mut map = sample();
        map.harm.pop();
        assert!(map.to_binary().is_err());
        let mut map = sample();
        map.cluster[0] = i64::from(i32::MAX) + 1;
        assert!(map.to_binary().is_err());
        let empty = MapData::default().to_binary().unwrap();
        assert_eq!(&empty[..8], MAP_MAGIC);
    }
}
