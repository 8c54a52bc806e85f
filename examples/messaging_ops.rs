//! Runs N messages through a messaging pipeline, for counting instructions per message with callgrind
//! (a timing-free figure, comparable across machines):
//!
//! ```text
//! cargo build --release -p wasndr-core --example messaging_ops
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/messaging_ops send 0
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/messaging_ops send 1000
//! ```
//!
//! Instructions per message = (Ir at N − Ir of the baseline) / N. Modes and their baselines:
//!
//! | mode | one message is | baseline |
//! | --- | --- | --- |
//! | `send` | plan (Signal encrypt for Bob's one device + stanza) and encode | `send 0` |
//! | `send-dsm` | the same with a device-sent copy for our own phone (two encrypts) | `send-dsm 0` |
//! | `receive` | unpack + decode + parse + decrypt + unpad + Message parse + receipt | `receive-setup N` |
//! | `group-send` | skmsg + stanza to 256 devices that hold our key, encoded | `group-send 0` |
//! | `group-send-distribute` | the same, the key distributed pairwise to all 256 | `group-send-distribute 0` |
//!
//! `receive-setup` produces the same N delivered stanzas as `receive` without receiving them.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

#[path = "../benches/support/messaging.rs"]
mod support;

use std::hint::black_box;

use support::{GroupSender, OneToOne};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<usize>().ok())) else {
        eprintln!(
            "usage: messaging_ops <send|send-dsm|receive|receive-setup|group-send|group-send-distribute> <n>"
        );
        std::process::exit(2);
    };
    match mode.as_str() {
        "send" | "send-dsm" => {
            let mut fixture = OneToOne::new(mode == "send-dsm");
            for _ in 0..n {
                black_box(fixture.send());
            }
        }
        "receive" | "receive-setup" => {
            let mut fixture = OneToOne::new(false);
            let payloads: Vec<Vec<u8>> = (0..n).map(|_| fixture.next_incoming()).collect();
            if mode == "receive" {
                for payload in &payloads {
                    black_box(fixture.receive(black_box(payload)));
                }
            }
            black_box(payloads);
        }
        "group-send" | "group-send-distribute" => {
            let mut fixture = GroupSender::new(256, mode == "group-send");
            for _ in 0..n {
                black_box(fixture.send());
            }
        }
        _ => {
            eprintln!("unknown mode {mode}");
            std::process::exit(2);
        }
    }
}
