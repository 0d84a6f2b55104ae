//! Ecosystem metrics: the program's costs, the derived facts a metrics refresh rebuilds, and
//! the aggregate queries dashboards read.

pub mod adoption;
pub mod costs;
pub mod facts;
pub mod figures;
