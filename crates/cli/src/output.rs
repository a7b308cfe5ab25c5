//! How results reach the terminal.

/// Output settings every command shares.
pub struct Ui {
    pub json: bool,
    pub quiet: bool,
}
