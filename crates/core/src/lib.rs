//! rollcall-core is the engine: connect → check → read → cache → plan → guard → apply →
//! report. It knows nothing of Tauri, windows or command lines; the shell and the CLI call it.

pub mod apply;
pub mod auth;
pub mod check;
pub mod clock;
pub mod cloud;
pub mod credentials;
pub mod data_dir;
pub mod diagnosis;
pub mod directory;
pub mod discovery;
pub mod expiry;
pub mod graph;
pub mod guard;
pub mod history;
pub mod journal;
pub mod ledger;
pub mod listing;
pub mod mail;
pub mod mapping;
pub mod network;
pub mod notices;
pub mod ops;
pub mod permissions;
pub mod plan;
pub mod preview;
pub mod probe;
pub mod profile;
pub mod records;
pub mod schedule;
pub mod secret;
mod sqlite_file;
pub mod store;
pub mod sync;
pub mod targets;
