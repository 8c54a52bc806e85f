//! The participant/device list hash `phash` (messaging guide D.7).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use crate::crypto::sha256;
use crate::jid::Jid;

/// whatsmeow's `participantListHashV2`: every device as `user.agent:device@server`, sorted as strings
/// and concatenated, SHA-256, then `"2:"` and the unpadded standard base64 of the first 6 bytes. Sent as
/// `phash` on group messages and compared with the `phash` of send acks and the `device_hash` of device
/// notifications.
pub fn participant_hash(devices: &[Jid]) -> String {
    let mut names: Vec<String> = devices
        .iter()
        .map(|jid| {
            format!(
                "{}.{}:{}@{}",
                jid.user(),
                jid.agent(),
                jid.device(),
                jid.server_kind()
            )
        })
        .collect();
    names.sort_unstable();
    let hash = sha256(names.concat().as_bytes());
    format!("2:{}", STANDARD_NO_PAD.encode(&hash[..6]))
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
}
