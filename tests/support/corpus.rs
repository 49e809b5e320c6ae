//! The compatibility corpus, as the library serves it (`cobrowse::corpus`): the tests and the
//! bench visit the same pages.

pub use cobrowse::corpus::{ensure_installed, serve, CorpusPage, PAGES};
