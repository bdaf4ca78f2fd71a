//! The internal IR. ENGINE HELPER.
