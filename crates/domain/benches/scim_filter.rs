//! `cargo bench -p gatehouse-domain`: compiling a SCIM filter for the store (parse, then
//! resolve every attribute to a stored column), as every SCIM list request does.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_domain::scim_filter::parse_filter;
use gatehouse_domain::scim_filter::users::user_condition;
use std::hint::black_box;

fn compile(c: &mut Criterion) {
    for (name, filter) in [
        ("userName eq", r#"userName eq "user12345@big.bench.test""#),
        (
            "and/or/not with a value path",
            r#"(emails[type eq "work" and value co "@big"] or externalId sw "00u") and not (active eq false) and meta.lastModified gt "2026-01-01T00:00:00Z""#,
        ),
    ] {
        c.bench_function(&format!("SCIM filter compile: {name}"), |b| {
            b.iter(|| user_condition(&parse_filter(black_box(filter)).unwrap()).unwrap())
        });
    }
}

criterion_group!(benches, compile);
criterion_main!(benches);
