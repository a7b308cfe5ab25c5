//! Semantic search narrowed by field filters, and a cache of opened indexes and query
//! encoders so an interactive session does not reload a large index on every click.

use crate::cluster::ClusterError;
use crate::encode::{self, EncodeError, Encoder};
use crate::index::{self, open_index, Hit, IndexError, QueryError, SimilarityIndex};
use crate::store::Store;
use crate::fields::Filter;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    #[serde(flatten)]
    pub hit: Hit,
    pub care_setting: Option<String>,
}

/// Opened indexes and query encoders, by model. An index is reopened when its folder
/// changed (new vectors, rebuilt), which the store records by digest. Never writes: the
/// jobs that add vectors bring the index up to date.
#[derive(Default)]
pub struct Cache {
    indexes: Mutex<HashMap<String, Arc<SimilarityIndex>>>,
    encoders: Mutex<HashMap<String, Arc<dyn Encoder + Send + Sync>>>,
}

impl Cache {
    pub fn index(&self, store: &Store, model: &str) -> Result<Arc<SimilarityIndex>, IndexError> {
        let current = index::stored_digest(store, model)?;
        if let Ok(cached) = self.indexes.lock() {
            if let Some(found) = cached
                .get(model)
                .filter(|i| current.as_deref() == Some(i.file_sha256.as_str()))
            {
                return Ok(found.clone());
            }
        }
        let opened = Arc::new(open_index(store, model)?);
        if let Ok(mut cached) = self.indexes.lock() {
            cached.insert(model.to_string(), opened.clone());
        }
        Ok(opened)
    }

    pub fn encoder(
        &self,
        store: &Store,
        model: &str,
    ) -> Result<Arc<dyn Encoder + Send + Sync>, EncodeError> {
        if let Some(found) = self
            .encoders
            .lock()
            .ok()
            .and_then(|c| c.get(model).cloned())
        {
            return Ok(found);
        }
        let opened: Arc<dyn Encoder + Send + Sync> =
            Arc::from(encode::query_encoder(store, model)?);
        if let Ok(mut cached) = self.encoders.lock() {
            cached.insert(model.to_string(), opened.clone());
        }
        Ok(opened)
    }
}

/// Widest candidate list a filtered search reads before giving up on finding `k` matches.
const MAX_CANDIDATES: usize = 8192;

/// The `k` reports closest to `text` under `model` that pass `filter`. The index is searched
/// for more candidates than asked, doubling until `k` pass or the candidate list reaches
/// `MAX_CANDIDATES` (or the whole index), so a narrow filter still finds its matches.
pub fn search(
    store: &Store,
    cache: &Cache,
    model: &str,
    text: &str,
    filter: &Filter,
    k: usize,
) -> Result<Vec<SearchHit>, ClusterError> {
    if text.trim().is_empty() {
        return Err(query_err(QueryError::EmptyQuery));
    }
    let index = cache.index(store, model)?;
    let encoder = cache
        .encoder(store, &index.model.name)
        .map_err(|e| query_err(e.into()))?;
    let (vectors, _) = encoder.encode(&[text], &mut |_| {}).map_err(|source| {
        query_err(
            EncodeError::Model {
                name: index.model.name.clone(),
                source,
            }
            .into(),
        )
    })?;
    let query = vectors.into_iter().next().unwrap_or_default();
    let mut setting = store
        .conn()
        .prepare_cached("SELECT care_setting FROM incidents WHERE external_id = ?1")
        .map_err(|e| ClusterError::Store(store.err(e)))?;
    let mut wanted = if filter.is_empty() {
        k
    } else {
        (k * 4).max(64)
    };
    loop {
        let wanted_now = wanted.min(index.len());
        if wanted_now > 64 {
            index.set_expansion(wanted_now);
        }
        let found = index.search(&query, wanted_now);
        index.set_expansion(index::IndexOptions::default().expansion_search);
        let hits = index::hits(store, &found?)?;
        let mut out = Vec::with_capacity(k);
        for hit in hits {
            let care_setting: Option<String> = setting
                .query_row([&hit.external_id], |r| r.get(0))
                .map_err(|e| ClusterError::Store(store.err(e)))?;
            if passes(filter, &hit, care_setting.as_deref()) {
                out.push(SearchHit { hit, care_setting });
                if out.len() == k {
                    break;
                }
            }
        }
        if out.len() == k || wanted_now >= index.len() || wanted >= MAX_CANDIDATES {
            return Ok(out);
        }
        wanted *= 2;
    }
}

fn query_err(e: QueryError) -> ClusterError {
    match e {
        QueryError::Index(i) => ClusterError::Index(i),
        other => ClusterError::Invalid(other.to_string()),
    }
}

/// Whether a search hit passes the filter (the care setting is looked up separately: hits
/// do not carry it).
fn passes(filter: &Filter, hit: &Hit, care_setting: Option<&str>) -> bool {
    filter.matches(&hit.occurred_on, hit.harm, care_setting, hit.category.as_deref())
}
