//! Sandbox throughput: generating and paging a 100,000-person tenant.

fn main() {}
