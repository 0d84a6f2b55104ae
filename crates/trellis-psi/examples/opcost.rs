//! Scratch timing of the group operations (the bench command is the real user).
#![allow(clippy::print_stdout, clippy::cast_precision_loss)]
use std::time::Instant;
use trellis_psi::opcost::{Op, Workload};
fn main() {
    let w = Workload::new(1);
    for op in Op::ALL {
        let n = 20_000;
        let t = Instant::now();
        let x = w.run(op, n);
        let per = t.elapsed().as_secs_f64() / n as f64 * 1e6;
        println!("{:16} {per:7.3} us  ({x})", op.name());
    }
}
