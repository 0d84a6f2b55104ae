//! `trellis config example`: the commented configuration file, every setting at its default.

/// Prints the example configuration.
pub(crate) fn example() {
    print!("{}", crate::config::EXAMPLE);
}
