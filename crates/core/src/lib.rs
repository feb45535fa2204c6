//! rollcall-core is the engine: connect → check → read → cache → plan → guard → apply →
//! report. It knows nothing of Tauri, windows or command lines; the shell and the CLI call it.

pub mod data_dir;
