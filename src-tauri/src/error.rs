use serde::Serialize;

/// An error the UI can show: a message, plus a kind it can branch on.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn no_project() -> Self {
        CommandError {
            kind: "no_project",
            message: "No project is open.".into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        CommandError {
            kind: "invalid",
            message: message.into(),
        }
    }
}

impl From<engine::StoreError> for CommandError {
    fn from(err: engine::StoreError) -> Self {
        let kind = match err {
            engine::StoreError::NotAProject(_) => "not_a_project",
            engine::StoreError::SchemaTooNew { .. } => "schema_too_new",
            engine::StoreError::Busy { .. } => "busy",
            engine::StoreError::NetworkFileSystem { .. } => "network_file_system",
            engine::StoreError::NeedsPassphrase(_) => "needs_passphrase",
            engine::StoreError::WrongPassphrase(_) => "wrong_passphrase",
            engine::StoreError::WeakPassphrase(_) => "invalid",
            _ => "store",
        };
        CommandError {
            kind,
            message: err.to_string(),
        }
    }
}

impl From<engine::cluster::ClusterError> for CommandError {
    fn from(err: engine::cluster::ClusterError) -> Self {
        use engine::cluster::ClusterError as E;
        let kind = match &err {
            E::UnknownRun(_) => "unknown_run",
            E::UnknownCluster { .. } => "unknown_cluster",
            E::Invalid(_) => "invalid",
            E::Index(engine::index::IndexError::NoVectors(_)) => "not_encoded",
            E::Store(_) => "store",
            _ => "engine",
        };
        CommandError {
            kind,
            message: err.to_string(),
        }
    }
}

impl From<engine::index::IndexError> for CommandError {
    fn from(err: engine::index::IndexError) -> Self {
        CommandError {
            kind: "index",
            message: err.to_string(),
        }
    }
}

/// A training request the engine refused (a bad setting, an unknown method) or could not
/// start: shown to the user as it stands.
impl From<engine::train::TrainError> for CommandError {
    fn from(err: engine::train::TrainError) -> Self {
        CommandError::invalid(err.to_string())
    }
}

impl From<engine::signals::SignalError> for CommandError {
    fn from(err: engine::signals::SignalError) -> Self {
        use engine::signals::SignalError as E;
        match err {
            E::Cluster(e) => e.into(),
            E::Store(e) => e.into(),
            E::Invalid(message) => CommandError::invalid(message),
            other => CommandError { kind: "engine", message: other.to_string() },
        }
    }
}
