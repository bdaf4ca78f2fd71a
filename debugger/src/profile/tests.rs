//! Unit tests for the pure parts of `wdb profile`.
