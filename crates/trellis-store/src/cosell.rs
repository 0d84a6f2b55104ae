//! Co-selling: requests for help between the vendor and its partners, and the rows the
//! comp-credit report reads (partner-involved opportunities).

pub mod credit;
pub mod requests;
