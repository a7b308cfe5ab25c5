//! What the review UI reads: the cluster map as columns, one incident in full with its
//! neighbours, and semantic search narrowed by field filters. Read-only over the store.

mod incident;
mod map;
mod map_binary;
mod search;

pub use incident::{incident_detail, ClusterRef, IncidentDetail};
pub use map::{latest_run_id, map_data, MapCluster, MapData};
pub use map_binary::MAP_MAGIC;
pub use search::{search, Cache, SearchHit};
