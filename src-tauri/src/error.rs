use serde::Serialize;

/// An error the UI can show: a message, plus a kind it can branch on.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn no_project() -> Self {
        CommandError { kind: "no_project", message: "No project is open.".into() }
    }
}

impl From<engine::StoreError> for CommandError {
    fn from(err: engine::StoreError) -> Self {
        let kind = match err {
            engine::StoreError::NotAProject(_) => "not_a_project",
            engine::StoreError::SchemaTooNew { .. } => "schema_too_new",
            _ => "store",
        };
        CommandError { kind, message: err.to_string() }
    }
}
