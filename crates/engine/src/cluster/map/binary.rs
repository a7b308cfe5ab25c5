//! The cluster map as binary for the window, in two parts. The first holds what the first
//! frame needs (positions, clusters, the spatial index for picking), the second the rest
//! (fields for filters and colours, external ids): at a million reports the second half
//! crosses the IPC while the first is being drawn. Each part is read in place as typed
//! arrays. Little-endian throughout; offsets within a part count from its start.
//!
//! ```text
//! points part:
//! "IAMAP\x02\0\0"          magic, format 2
//! u32                      header length H
//! H bytes                  header JSON: run, categories, care_settings, months, clusters,
//!                          points (n), ascii_ids (every external id is ASCII),
//!                          spatial_index_bytes (S), details_key (hex)
//! zero bytes to a multiple of 8, then x f32[n], y f32[n], cluster i32[n],
//! zero bytes to a multiple of 8, S bytes: the points' kd-tree (layout in `spatial.rs`),
//! zero bytes to a multiple of 8.
//!
//! details part:
//! "IADET\x02\0\0"          magic
//! 32 bytes                 SHA-256 of the rest of the part: the details_key of the points
//!                          part it belongs with
//! day i32[n], id_end u32[n], category u16[n], care_setting u16[n], month u16[n],
//! zero bytes to a multiple of 4, harm u8[n], zero bytes to a multiple of 4,
//! ids: the external ids' UTF-8 bytes back to back; id i ends at id_end[i]
//! ```

use super::columns::{MapCluster, MapData};
use super::spatial::kdbush;
use super::super::options::ClusterError;
use super::super::runs::RunRecord;
use crate::digest::hex;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const MAP_MAGIC: &[u8; 8] = b"IAMAP\x02\0\0";
pub const DETAILS_MAGIC: &[u8; 8] = b"IADET\x02\0\0";

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
    details_key: String,
}

/// Both parts back to back, as the map is kept on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct MapBinary {
    pub bytes: Vec<u8>,
    /// Where the details part starts (a multiple of 8).
    pub details_at: usize,
}

impl MapBinary {
    pub fn points(&self) -> &[u8] {
        &self.bytes[..self.details_at]
    }

    pub fn details(&self) -> &[u8] {
        &self.bytes[self.details_at..]
    }

    /// The points part, without copying it.
    pub fn into_points(mut self) -> Vec<u8> {
        self.bytes.truncate(self.details_at);
        self.bytes
    }

    pub fn into_details(mut self) -> Vec<u8> {
        self.bytes.split_off(self.details_at)
    }
}

impl MapData {
    /// The map in the binary layout above.
    pub fn to_binary(&self) -> Result<MapBinary, ClusterError> {
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
        let details = self.details()?;
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
            details_key: hex(&details[8..40]),
        })
        .map_err(|e| ClusterError::Invalid(format!("cannot write the map header: {e}")))?;
        let mut out = Vec::with_capacity(40 + header.len() + n * 12 + spatial.len() + details.len());
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
        pad(&mut out, 8);
        out.extend_from_slice(&spatial);
        pad(&mut out, 8);
        let details_at = out.len();
        out.extend_from_slice(&details);
        Ok(MapBinary { bytes: out, details_at })
    }

    /// The details part, its key over the columns that follow the key.
    fn details(&self) -> Result<Vec<u8>, ClusterError> {
        let n = self.x.len();
        let id_bytes: usize = self.external_id.iter().map(String::len).sum();
        if u32::try_from(id_bytes).is_err() {
            return Err(ClusterError::Invalid(format!(
                "the map's external ids take {id_bytes} bytes, over 4 GiB"
            )));
        }
        let mut out = Vec::with_capacity(48 + n * 15 + id_bytes);
        out.extend_from_slice(DETAILS_MAGIC);
        out.extend_from_slice(&[0; 32]);
        out.extend(self.day.iter().flat_map(|v| v.to_le_bytes()));
        let mut end = 0u32;
        for id in &self.external_id {
            // Fits: the total was checked above.
            end += id.len() as u32;
            out.extend_from_slice(&end.to_le_bytes());
        }
        out.extend(self.category.iter().flat_map(|v| v.to_le_bytes()));
        out.extend(self.care_setting.iter().flat_map(|v| v.to_le_bytes()));
        out.extend(self.month.iter().flat_map(|v| v.to_le_bytes()));
        pad(&mut out, 4);
        out.extend_from_slice(&self.harm);
        pad(&mut out, 4);
        for id in &self.external_id {
            out.extend_from_slice(id.as_bytes());
        }
        let key = Sha256::digest(&out[40..]);
        out[8..40].copy_from_slice(&key);
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
        let binary = map.to_binary().unwrap();
        let b = binary.points();
        assert_eq!(&b[..8], MAP_MAGIC);
        let h = u32_at(b, 8) as usize;
        let header: serde_json::Value = serde_json::from_slice(&b[12..12 + h]).unwrap();
        assert_eq!(header["points"], 3);
        assert_eq!(header["ascii_ids"], false);
        assert_eq!(header["months"][1], "2022-02");
        let mut at = (12 + h).div_ceil(8) * 8;
        let f32s: Vec<f32> = (0..6).map(|i| f32::from_bits(u32_at(b, at + 4 * i))).collect();
        assert_eq!(f32s, vec![0.5, -1.0, 2.25, 1.0, 0.0, -3.5]);
        at += 24;
        let clusters: Vec<i32> = (0..3).map(|i| u32_at(b, at + 4 * i) as i32).collect();
        assert_eq!(clusters, vec![-1, 0, 7]);
        at = (at + 12).div_ceil(8) * 8;
        let spatial = header["spatial_index_bytes"].as_u64().unwrap() as usize;
        assert_eq!(&b[at..at + spatial], &kdbush(&map.x, &map.y)[..]);
        assert_eq!(b[at], 0xdb);
        assert_eq!((at + spatial).div_ceil(8) * 8, binary.details_at);

        let d = binary.details();
        assert_eq!(&d[..8], DETAILS_MAGIC);
        assert_eq!(hex(&d[8..40]), header["details_key"].as_str().unwrap());
        assert_eq!(&d[8..40], &Sha256::digest(&d[40..])[..], "the key is the digest of the rest");
        let mut at = 40;
        let days: Vec<i32> = (0..3).map(|i| u32_at(d, at + 4 * i) as i32).collect();
        assert_eq!(days, vec![19_000, 19_001, -3]);
        at += 12;
        let ends: Vec<u32> = (0..3).map(|i| u32_at(d, at + 4 * i)).collect();
        assert_eq!(ends, vec![4, 10, 11]);
        at += 12;
        let u16s: Vec<u16> = (0..9).map(|i| u16::from_le_bytes([d[at + 2 * i], d[at + 2 * i + 1]])).collect();
        assert_eq!(u16s, vec![0, 1, 1, 0, 0, 0, 0, 0, 1]);
        at = (at + 18).div_ceil(4) * 4;
        assert_eq!(&d[at..at + 3], &[1, 0, 5]);
        at = (at + 3).div_ceil(4) * 4;
        assert_eq!(std::str::from_utf8(&d[at..]).unwrap(), "IA-1ÉX-22c");
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
        assert_eq!(&empty.points()[..8], MAP_MAGIC);
        assert_eq!(&empty.details()[..8], DETAILS_MAGIC);
    }
}
