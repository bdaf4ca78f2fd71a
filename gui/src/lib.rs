//! wdb gui
