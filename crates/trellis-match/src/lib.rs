//! Company-record matching: is this deal's customer one of our accounts, is that partner's
//! account one of ours?
//!
//! - [`domain`]: websites and e-mail addresses to registrable domains (Public Suffix List),
//!   free-mail, disposable and platform domains excluded.
//! - [`name`]: company names to keys (Unicode folding, legal forms of many countries,
//!   abbreviations).
//! - [`Index`]: blocked candidates (domain, name trigrams) scored with reasons.
//!
//! Pure: no I/O, no clock. Deal-registration conflict checks, account mapping, CRM import
//! and `trellis match` all use it.

pub mod benchmark;
pub mod country;
pub mod domain;
mod index;
mod legal_forms;
pub mod name;
mod record;
mod score;

pub use index::{Candidate, Config, Index, Scratch};
pub use record::{Company, Prepared};
pub use score::{CountryAgreement, DomainAgreement, NameAgreement, Reason};
