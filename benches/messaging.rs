//! The messaging pipelines per message: 1:1 send (plan = Signal encrypt + stanza, then encode), 1:1
//! receive (decode + parse + decrypt + plaintext parse + receipt), and a group send to 256 member
//! devices. Instruction counts of the same steps: `examples/messaging_ops.rs`.
//!
//! Run: `cargo bench -p wasndr-core --bench messaging`

#![allow(missing_docs, clippy::unwrap_used)]

#[path = "support/messaging.rs"]
mod support;

use std::cell::RefCell;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use support::{GroupSender, OneToOne};

fn one_to_one(c: &mut Criterion) {
    let mut fixture = OneToOne::new(false);
    c.bench_function("messaging/1:1 send (1 device)", |b| {
        b.iter(|| black_box(fixture.send()))
    });

    let mut fixture = OneToOne::new(true);
    c.bench_function("messaging/1:1 send (recipient + own other device)", |b| {
        b.iter(|| black_box(fixture.send()))
    });

    // Messages are produced in order in the untimed setup and received in the same order.
    // The setup and the measured step both use the fixture (one as Alice, one as Bob), one after the
    // other.
    let fixture = RefCell::new(OneToOne::new(false));
    c.bench_function("messaging/1:1 receive", |b| {
        b.iter_batched(
            || fixture.borrow_mut().next_incoming(),
            |payload| fixture.borrow_mut().receive(black_box(&payload)),
            BatchSize::SmallInput,
        )
    });
}

fn group(c: &mut Criterion) {
    let mut group = c.benchmark_group("messaging");
    group.sample_size(20);
    let mut steady = GroupSender::new(256, true);
    group.bench_function("group send, 256 devices holding the key", |b| {
        b.iter(|| black_box(steady.send()))
    });
    let mut distributing = GroupSender::new(256, false);
    group.bench_function("group send, key distributed to 256 devices", |b| {
        b.iter(|| black_box(distributing.send()))
    });
    group.finish();
}

criterion_group!(benches, one_to_one, group);
criterion_main!(benches);
