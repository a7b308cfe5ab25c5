//! What the review UI reads: the cluster map as columns, one incident in full with its
//! neighbours, and semantic search narrowed by field filters. Read-only over the reports and runs (a run's
//! map file is kept or rebuilt as it is read).

mod incident;
mod search;

pub use incident::{incident_detail, ClusterRef, IncidentDetail};
// The map is a product of the analysis (it is kept as a file when a run is stored), so it
// lives with the runs; the review UI reads it from here with the rest.
pub use crate::cluster::map::{
    latest_run_id, map_bytes, map_data, MapBinary, MapCluster, MapData, DETAILS_MAGIC, MAP_MAGIC,
};
pub use search::{search, Cache, SearchHit};
