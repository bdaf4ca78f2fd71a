//! wdb debugger
