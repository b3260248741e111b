//! Shared pieces of the benchmarks (the criterion benches live in benches/, the binaries in e2e/, rss/).

pub mod hand;
