//! Shared helpers for the vector tests: loading a vector file and reading the JSON descriptions of
//! protobuf messages strictly, so that a key the test does not understand fails the test instead of
//! being silently ignored.

#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Map, Value};

/// Parses `testdata/vectors/<name>` of this workspace.
pub fn load_vectors(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Decodes a lowercase hex string from a vector file.
pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

/// A JSON object being turned into a message. Every key must be read before the reader is dropped,
/// otherwise the test panics naming the keys nobody looked at.
pub struct Fields<'a> {
    what: String,
    obj: &'a Map<String, Value>,
    read: RefCell<BTreeSet<String>>,
}

impl<'a> Fields<'a> {
    /// Starts reading `value`, which must be a JSON object; `what` names it in panic messages.
    pub fn new(what: impl Into<String>, value: &'a Value) -> Self {
        let what = what.into();
        let obj = value
            .as_object()
            .unwrap_or_else(|| panic!("{what}: expected an object, got {value}"));
        Fields {
            what,
            obj,
            read: RefCell::new(BTreeSet::new()),
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.read.borrow_mut().insert(key.to_owned());
        self.obj.get(key)
    }

    fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.what)
    }

    /// A string field.
    pub fn string(&self, key: &str) -> Option<String> {
        self.get(key).map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("{}: expected a string", self.path(key)))
                .to_owned()
        })
    }

    /// A bytes field, written as lowercase hex.
    pub fn bytes(&self, key: &str) -> Option<Vec<u8>> {
        self.string(key).map(|s| unhex(&s))
    }

    /// A boolean field.
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.get(key).map(|v| {
            v.as_bool()
                .unwrap_or_else(|| panic!("{}: expected a bool", self.path(key)))
        })
    }

    /// A 32-bit unsigned field, written as a JSON number.
    pub fn u32(&self, key: &str) -> Option<u32> {
        self.get(key).map(|v| {
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or_else(|| panic!("{}: expected a u32", self.path(key)))
        })
    }

    /// A 64-bit unsigned field, written as a decimal string (or a number when small).
    pub fn u64(&self, key: &str) -> Option<u64> {
        self.get(key).map(|v| match v {
            Value::String(s) => s.parse().unwrap_or_else(|e| panic!("{}: {e}", self.path(key))),
            _ => v
                .as_u64()
                .unwrap_or_else(|| panic!("{}: expected a u64", self.path(key))),
        })
    }

    /// A 64-bit signed field, written as a decimal string (or a number when small).
    pub fn i64(&self, key: &str) -> Option<i64> {
        self.get(key).map(|v| match v {
            Value::String(s) => s.parse().unwrap_or_else(|e| panic!("{}: {e}", self.path(key))),
            _ => v
                .as_i64()
                .unwrap_or_else(|| panic!("{}: expected an i64", self.path(key))),
        })
    }

    /// An enum field written by name, converted with the generated `from_str_name`.
    pub fn enumeration(&self, key: &str, from_name: impl Fn(&str) -> Option<i32>) -> Option<i32> {
        self.string(key).map(|name| {
            from_name(&name).unwrap_or_else(|| panic!("{}: unknown enum value {name}", self.path(key)))
        })
    }

    /// A nested message field.
    pub fn object(&self, key: &str) -> Option<Fields<'a>> {
        let path = self.path(key);
        self.get(key).map(|v| Fields::new(path, v))
    }

    /// A repeated field; `None` when the key is absent.
    pub fn array(&self, key: &str) -> Option<&'a [Value]> {
        self.get(key).map(|v| {
            v.as_array()
                .unwrap_or_else(|| panic!("{}: expected an array", self.path(key)))
                .as_slice()
        })
    }

    /// A repeated message field, each element read with its own strict reader.
    pub fn objects(&self, key: &str) -> Vec<Fields<'a>> {
        let path = self.path(key);
        self.array(key)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, v)| Fields::new(format!("{path}[{i}]"), v))
            .collect()
    }

    /// A repeated string field.
    pub fn strings(&self, key: &str) -> Vec<String> {
        let path = self.path(key);
        self.array(key)
            .unwrap_or_default()
            .iter()
            .map(|v| {
                v.as_str()
                    .unwrap_or_else(|| panic!("{path}: expected strings"))
                    .to_owned()
            })
            .collect()
    }

    /// A repeated u32 field.
    pub fn u32s(&self, key: &str) -> Vec<u32> {
        let path = self.path(key);
        self.array(key)
            .unwrap_or_default()
            .iter()
            .map(|v| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or_else(|| panic!("{path}: expected u32s"))
            })
            .collect()
    }
}

impl Drop for Fields<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let read = self.read.borrow();
        let unread: Vec<&String> = self.obj.keys().filter(|k| !read.contains(*k)).collect();
        assert!(
            unread.is_empty(),
            "{}: keys the test does not map to the schema: {unread:?}",
            self.what
        );
    }
}
