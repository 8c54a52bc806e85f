//! The participant/device list hash `phash` (messaging guide D.7).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use crate::crypto::sha256_parts;
use crate::jid::Jid;

/// whatsmeow's `participantListHashV2`: every device as `user.agent:device@server`, sorted as strings
/// and concatenated, SHA-256, then `"2:"` and the unpadded standard base64 of the first 6 bytes. Sent as
/// `phash` on group messages and compared with the `phash` of send acks and the `device_hash` of device
/// notifications.
pub fn participant_hash(devices: &[Jid]) -> String {
    // Every name is written into one buffer and sorted as spans of it: a large group's hash is then
    // one allocation, not one per device.
    let mut text = String::with_capacity(devices.len() * 40);
    let mut spans = Vec::with_capacity(devices.len());
    for jid in devices {
        let start = text.len();
        text.push_str(jid.user());
        text.push('.');
        push_decimal(&mut text, u16::from(jid.agent()));
        text.push(':');
        push_decimal(&mut text, jid.device());
        text.push('@');
        text.push_str(jid.server_kind().as_str());
        spans.push(start..text.len());
    }
    let bytes = text.as_bytes();
    spans.sort_unstable_by(|a, b| bytes[a.clone()].cmp(&bytes[b.clone()]));
    let parts: Vec<&[u8]> = spans.into_iter().map(|span| &bytes[span]).collect();
    let hash = sha256_parts(&parts);
    format!("2:{}", STANDARD_NO_PAD.encode(&hash[..6]))
}

fn push_decimal(out: &mut String, mut value: u16) {
    let mut digits = [0u8; 5];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector of messaging guide D.7.
    #[test]
    fn guide_vector() {
        let devices = [
            Jid::pn("15557654321"),
            Jid::pn("15551234567").with_device(3),
            Jid::pn("15551234567"),
        ];
        assert_eq!(participant_hash(&devices), "2:1rP1CxtP");
    }

    #[test]
    fn order_does_not_matter_and_membership_does() {
        let a = [Jid::pn("1"), Jid::lid("2").with_device(4)];
        let b = [Jid::lid("2").with_device(4), Jid::pn("1")];
        assert_eq!(participant_hash(&a), participant_hash(&b));
        assert_ne!(participant_hash(&a), participant_hash(&a[..1]));
        assert_eq!(participant_hash(&a).len(), 10);
    }

    /// The spans are sorted as whole strings, exactly as whatsmeow sorts its formatted names.
    #[test]
    fn matches_the_plain_definition() {
        let devices: Vec<Jid> = (0..300u32)
            .map(|i| match i % 3 {
                0 => Jid::pn(&format!("1555{i}")).with_device((i % 7) as u16),
                1 => Jid::lid(&format!("{}", 100_000 + i * 37)).with_device(65535),
                _ => Jid::pn(&format!("9{i}"))
                    .with_agent(2)
                    .with_device((i % 11) as u16),
            })
            .collect();
        let mut names: Vec<String> = devices
            .iter()
            .map(|j| format!("{}.{}:{}@{}", j.user(), j.agent(), j.device(), j.server_kind()))
            .collect();
        names.sort();
        let hash = crate::crypto::sha256(names.concat().as_bytes());
        assert_eq!(
            participant_hash(&devices),
            format!("2:{}", STANDARD_NO_PAD.encode(&hash[..6]))
        );
    }
}
