//! Shared helpers for the end-to-end tests: locating the built binary, starting drivers.
