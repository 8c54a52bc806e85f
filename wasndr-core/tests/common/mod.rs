//! Helpers shared by the Signal integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod peer;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;

use rand_core::{TryCryptoRng, TryRng};
use serde_json::Value;

/// Loads `testdata/vectors/<name>` from this worktree.
pub fn vectors(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Hex field `key` of `value`, decoded.
pub fn hex_of(value: &Value, key: &str) -> Vec<u8> {
    let text = value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {value}"));
    hex::decode(text).unwrap()
}

/// A 32-byte hex field.
pub fn hex32(value: &Value, key: &str) -> [u8; 32] {
    hex_of(value, key).try_into().unwrap()
}

/// A numeric field.
pub fn u32_of(value: &Value, key: &str) -> u32 {
    value[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {value}")) as u32
}

/// An "RNG" that serves recorded 32-byte private keys in draw order, checking each is drawn during the
/// event the recording says. Any other draw, or a draw at the wrong time, fails the test.
#[derive(Debug, Default)]
pub struct RecordedKeys {
    keys: VecDeque<(u64, [u8; 32])>,
    /// The event being replayed.
    pub event: u64,
}

impl RecordedKeys {
    /// The keys `actor` drew, from a case's `generated_keys`.
    pub fn for_actor(case: &Value, actor: &str) -> Self {
        let mut keys: Vec<(u64, u64, [u8; 32])> = case["generated_keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["actor"] == actor)
            .map(|k| {
                (
                    k["index"].as_u64().unwrap(),
                    k["event"].as_u64().unwrap(),
                    hex32(k, "private"),
                )
            })
            .collect();
        keys.sort_by_key(|k| k.0);
        Self {
            keys: keys.into_iter().map(|(_, event, key)| (event, key)).collect(),
            event: 0,
        }
    }

    /// How many recorded keys were not drawn.
    pub fn remaining(&self) -> usize {
        self.keys.len()
    }
}

impl TryRng for RecordedKeys {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        panic!("unexpected next_u32 draw at event {}", self.event)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        panic!("unexpected next_u64 draw at event {}", self.event)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert_eq!(dst.len(), 32, "only key pairs are drawn (event {})", self.event);
        let (event, key) = self
            .keys
            .pop_front()
            .unwrap_or_else(|| panic!("more keys drawn than recorded (event {})", self.event));
        assert_eq!(event, self.event, "a recorded key was drawn at the wrong event");
        dst.copy_from_slice(&key);
        Ok(())
    }
}

impl TryCryptoRng for RecordedKeys {}

/// An RNG that must not be used.
#[derive(Debug)]
pub struct NoRng;

impl TryRng for NoRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        panic!("no randomness expected")
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        panic!("no randomness expected")
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Infallible> {
        panic!("no randomness expected")
    }
}

impl TryCryptoRng for NoRng {}
