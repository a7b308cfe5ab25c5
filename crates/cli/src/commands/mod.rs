pub mod bench;
pub mod demo_data;
pub mod ingest;
pub mod init;
pub mod stats;
