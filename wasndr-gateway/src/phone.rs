//! Phone numbers and chat addresses (JIDs) as the gateway accepts them.

use serde::{Deserialize, Serialize};

use crate::error::GatewayError;

/// Normalises a phone number: keeps digits (dropping `+`, spaces, dashes, dots, parentheses), requires a
/// country code and 7–15 digits (E.164). `field` names the request field on failure.
pub fn normalise_phone(field: &str, input: &str) -> Result<String, GatewayError> {
    let mut digits = String::with_capacity(input.len());
    for c in input.trim().chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' | ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(GatewayError::invalid(
                    field,
                    format!(
                        "{input:?} is not a phone number: use digits with the country code, e.g. 14155551234"
                    ),
                ));
            }
        }
    }
    if !(7..=15).contains(&digits.len()) {
        return Err(GatewayError::invalid(
            field,
            format!(
                "{input:?} has {} digits; a phone number with country code has 7 to 15",
                digits.len()
            ),
        ));
    }
    if digits.starts_with('0') {
        return Err(GatewayError::invalid(
            field,
            format!(
                "{input:?} starts with 0: give the country code instead of a trunk prefix, e.g. 14155551234"
            ),
        ));
    }
    Ok(digits)
}

/// What a chat address points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// A person: `<digits>@s.whatsapp.net`.
    User,
    /// A group: `<digits>[-<digits>]@g.us`.
    Group,
}

/// A validated chat address (JID) in its canonical text form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatJid {
    jid: String,
    kind: ChatKind,
}

impl ChatJid {
    /// The user JID of a normalised phone number.
    pub fn user(phone_digits: &str) -> ChatJid {
        ChatJid {
            jid: format!("{phone_digits}@s.whatsapp.net"),
            kind: ChatKind::User,
        }
    }

    /// Parses a group JID (`120363...@g.us` or the older `owner-timestamp@g.us`).
    pub fn parse_group(field: &str, input: &str) -> Result<ChatJid, GatewayError> {
        let bad = || {
            GatewayError::invalid(
                field,
                format!("{input:?} is not a group JID (e.g. 120363012345678901@g.us)"),
            )
        };
        let local = input.trim().strip_suffix("@g.us").ok_or_else(bad)?;
        let mut parts = local.split('-');
        let ok = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), None, None) => is_digits(a, 5, 30),
            (Some(a), Some(b), None) => is_digits(a, 5, 20) && is_digits(b, 5, 20),
            _ => false,
        };
        if !ok {
            return Err(bad());
        }
        Ok(ChatJid {
            jid: format!("{local}@g.us"),
            kind: ChatKind::Group,
        })
    }

    /// Parses any chat JID a caller may filter by: a user (`@s.whatsapp.net`, also `@c.us`) or a group.
    pub fn parse_any(field: &str, input: &str) -> Result<ChatJid, GatewayError> {
        let input = input.trim();
        if input.ends_with("@g.us") {
            return ChatJid::parse_group(field, input);
        }
        let local = input
            .strip_suffix("@s.whatsapp.net")
            .or_else(|| input.strip_suffix("@c.us"));
        match local {
            Some(local) if is_digits(local, 7, 15) => Ok(ChatJid::user(local)),
            _ => Err(GatewayError::invalid(
                field,
                format!("{input:?} is not a chat JID (e.g. 14155551234@s.whatsapp.net or 120363...@g.us)"),
            )),
        }
    }

    /// The canonical text form.
    pub fn as_str(&self) -> &str {
        &self.jid
    }

    /// User or group.
    pub fn kind(&self) -> ChatKind {
        self.kind
    }
}

fn is_digits(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_or_refused_naming_the_field() {
        assert_eq!(
            normalise_phone("phone", "+1 (415) 555-1234").unwrap(),
            "14155551234"
        );
        assert_eq!(
            normalise_phone("phone", "4915112345678").unwrap(),
            "4915112345678"
        );
        for bad in ["123456", "1234567890123456", "abc14155551234", "04155551234", ""] {
            let err = normalise_phone("phone", bad).unwrap_err();
            assert!(err.to_string().starts_with("phone: "), "{bad}: {err}");
        }
    }

    #[test]
    fn jids_parse() {
        assert_eq!(
            ChatJid::parse_group("groupJid", "120363012345678901@g.us")
                .unwrap()
                .kind(),
            ChatKind::Group
        );
        assert!(ChatJid::parse_group("groupJid", "14155551234-1600000000@g.us").is_ok());
        assert!(ChatJid::parse_group("groupJid", "14155551234@s.whatsapp.net").is_err());
        assert!(ChatJid::parse_group("groupJid", "@g.us").is_err());
        assert_eq!(
            ChatJid::parse_any("remoteJid", "14155551234@c.us")
                .unwrap()
                .as_str(),
            "14155551234@s.whatsapp.net"
        );
        assert!(ChatJid::parse_any("remoteJid", "x@s.whatsapp.net").is_err());
    }
}
