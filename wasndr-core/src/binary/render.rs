//! Compact XML-like rendering of nodes for logs and debugging.
//!
//! Strings are quoted, JIDs are not (so `to=@s.whatsapp.net` shows it was written as a JID), and bytes
//! are shown as hex, cut after [`BYTES_SHOWN`] bytes with the full length.

use std::fmt::{self, Write};

use super::node::{Content, Node, Value};

/// Bytes of a blob shown before it is cut.
pub const BYTES_SHOWN: usize = 32;

fn quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("&quot;")?,
            '&' => f.write_str("&amp;")?,
            '<' => f.write_str("&lt;")?,
            c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

fn hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for byte in bytes.iter().take(BYTES_SHOWN) {
        write!(f, "{byte:02x}")?;
    }
    if bytes.len() > BYTES_SHOWN {
        write!(f, "…({} bytes)", bytes.len())?;
    }
    Ok(())
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}", self.tag)?;
        for attr in &self.attrs {
            write!(f, " {}=", attr.key)?;
            match &attr.value {
                Value::Str(text) => quoted(f, text)?,
                Value::Jid(jid) => write!(f, "{jid}")?,
            }
        }
        match &self.content {
            Content::None => return f.write_str("/>"),
            Content::Nodes(children) => {
                f.write_char('>')?;
                for child in children {
                    child.fmt(f)?;
                }
            }
            Content::Bytes(bytes) => {
                f.write_char('>')?;
                hex(f, bytes)?;
            }
            Content::Text(text) => {
                f.write_char('>')?;
                quoted(f, text)?;
            }
            Content::Jid(jid) => write!(f, ">{jid}")?,
        }
        write!(f, "</{}>", self.tag)
    }
}
