//! What the app's About box says: the version (one number for the app, the CLI, the
//! package and the changelog), the models it can use and where they are, and the licences.

use crate::encode::registry;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AboutModel {
    pub name: String,
    pub folder: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct About {
    pub version: String,
    /// The encoder the first run and `encode` use when none is named.
    pub default_model: String,
    /// Every encoder folder the open project (or, without one, the user and system) can use.
    pub models: Vec<AboutModel>,
    pub licence: String,
    pub model_licence: String,
    /// Where the package keeps the copyright file and the third-party notices.
    pub notices: String,
}

/// `project`: the open project, whose own trained models are listed first.
pub fn about(project: Option<&Path>) -> About {
    let models = match project {
        Some(project) => registry::installed(project),
        None => registry::installed_in(&registry::shared_model_dirs()),
    };
    About {
        version: env!("CARGO_PKG_VERSION").to_string(),
        default_model: registry::DEFAULT_TRANSFORMER.to_string(),
        models: models
            .into_iter()
            .map(|(name, folder)| AboutModel { name, folder: folder.display().to_string() })
            .collect(),
        licence: "MIT".into(),
        model_licence: "all-MiniLM-L6-v2: Apache License 2.0 (the sentence-transformers team; fine-tuned from Microsoft's MiniLM)".into(),
        notices: "/usr/share/doc/incident-atlas/".into(),
    }
}
