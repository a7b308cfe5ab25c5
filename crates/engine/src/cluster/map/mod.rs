//! A run's cluster map as the window draws it: columns read from the store, their binary
//! layout with a ready-made spatial index, and the file each run's map is kept in.

mod binary;
mod columns;
mod file;
mod spatial;

pub use binary::{MapBinary, DETAILS_MAGIC, MAP_MAGIC};
pub use columns::{latest_run_id, map_data, MapCluster, MapData};
pub use file::{map_bytes, write_map_file};
