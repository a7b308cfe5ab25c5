pub mod bench;
pub mod demo_data;
pub mod encode;
pub mod ingest;
pub mod init;
pub mod models;
pub mod stats;
