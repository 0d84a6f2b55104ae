//! Account mapping: the accounts partners bring (hosted mode), populations, connections and
//! sharing policies, and the PSI links of private mode.

pub mod connections;
pub mod facts;
pub mod links;
pub mod partner_accounts;
pub mod policies;
pub mod populations;
pub mod runs;
