use wasndr_proto::Message as _;
use wasndr_proto::signal::WhisperMessage;

use super::{MAC_LEN, VERSION_BYTE, key_field, split_version};
use crate::crypto::{PublicKey, hmac_sha256_parts};
use crate::error::{Error, Result};

/// A SignalMessage (`<enc type="msg">`): `0x33 ‖ WhisperMessage ‖ mac(8)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalMessage {
    /// The sender's current ratchet public key.
    pub ratchet_key: PublicKey,
    /// Index of this message in the sender's chain.
    pub counter: u32,
    /// Index of the last message on the sender's previous chain (informational; see guide §A.5).
    pub previous_counter: u32,
    /// AES-256-CBC ciphertext.
    pub ciphertext: Vec<u8>,
    serialized: Vec<u8>,
}

impl SignalMessage {
    /// Parses a message without checking its MAC (that needs the session's keys).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let rest = split_version(bytes)?;
        let proto_len = rest
            .len()
            .checked_sub(MAC_LEN)
            .ok_or(Error::InvalidSignalMessage("SignalMessage shorter than its MAC"))?;
        let proto = WhisperMessage::decode(&rest[..proto_len])
            .map_err(|_| Error::InvalidSignalMessage("WhisperMessage is not valid protobuf"))?;
        let ratchet_key = key_field(proto.ratchet_key.as_deref(), "WhisperMessage ratchetKey")?;
        let counter = proto
            .counter
            .ok_or(Error::InvalidSignalMessage("WhisperMessage without counter"))?;
        let ciphertext = proto
            .ciphertext
            .ok_or(Error::InvalidSignalMessage("WhisperMessage without ciphertext"))?;
        Ok(Self {
            ratchet_key,
            counter,
            // libsignal-node reads this; we only carry it. Go may send 0xFFFFFFFF here.
            previous_counter: proto.previous_counter.unwrap_or(0),
            ciphertext,
            serialized: bytes.to_vec(),
        })
    }

    /// Encodes and MACs a message. `sender` and `receiver` are the identity keys of the two ends, sender
    /// first, as the MAC input orders them.
    ///
    /// The `WhisperMessage` protobuf is written by hand, straight into the wire buffer: four fields in
    /// field order, exactly the bytes prost (and libsignal-node's protobufjs) write, which the session
    /// vectors check byte for byte.
    pub(crate) fn build(
        mac_key: &[u8; 32],
        sender: &PublicKey,
        receiver: &PublicKey,
        ratchet_key: &PublicKey,
        counter: u32,
        previous_counter: u32,
        ciphertext: Vec<u8>,
    ) -> Self {
        let key = ratchet_key.serialize();
        let mut serialized = Vec::with_capacity(1 + 2 + key.len() + 2 * 6 + 6 + ciphertext.len() + MAC_LEN);
        serialized.push(VERSION_BYTE);
        // 1: ratchetKey (bytes)
        serialized.extend_from_slice(&[0x0a, key.len() as u8]);
        serialized.extend_from_slice(&key);
        // 2: counter, 3: previousCounter (varints), always present, also when 0, as libsignal-node
        // writes them; the MAC covers these bytes.
        serialized.push(0x10);
        push_varint(&mut serialized, u64::from(counter));
        serialized.push(0x18);
        push_varint(&mut serialized, u64::from(previous_counter));
        // 4: ciphertext (bytes)
        serialized.push(0x22);
        push_varint(&mut serialized, ciphertext.len() as u64);
        serialized.extend_from_slice(&ciphertext);
        let mac = compute_mac(mac_key, sender, receiver, &serialized[1..]);
        serialized.extend_from_slice(&mac);
        Self {
            ratchet_key: *ratchet_key,
            counter,
            previous_counter,
            ciphertext,
            serialized,
        }
    }

    /// Checks the MAC in constant time. `sender` is the identity of whoever sent the message.
    pub(crate) fn verify_mac(&self, mac_key: &[u8; 32], sender: &PublicKey, receiver: &PublicKey) -> bool {
        use subtle::ConstantTimeEq;
        // parse() guaranteed the length; an inconsistent value simply fails verification.
        let Some(proto_end) = self.serialized.len().checked_sub(MAC_LEN) else {
            return false;
        };
        let Some(proto) = self.serialized.get(1..proto_end) else {
            return false;
        };
        let expected = compute_mac(mac_key, sender, receiver, proto);
        expected.ct_eq(&self.serialized[proto_end..]).into()
    }

    /// The complete wire bytes.
    pub fn serialized(&self) -> &[u8] {
        &self.serialized
    }

    /// Consumes the message, returning its wire bytes.
    pub fn into_serialized(self) -> Vec<u8> {
        self.serialized
    }
}

/// Appends `value` as a protobuf base-128 varint.
fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// First 8 bytes of `HMAC(macKey, senderIdentity33 ‖ receiverIdentity33 ‖ 0x33 ‖ proto)`.
fn compute_mac(mac_key: &[u8; 32], sender: &PublicKey, receiver: &PublicKey, proto: &[u8]) -> [u8; MAC_LEN] {
    let full = hmac_sha256_parts(
        mac_key,
        &[&sender.serialize(), &receiver.serialize(), &[VERSION_BYTE], proto],
    );
    let mut mac = [0u8; MAC_LEN];
    mac.copy_from_slice(&full[..MAC_LEN]);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_then_parse_round_trips_and_mac_binds_identities() {
        let a = PublicKey::from_bytes([1; 32]);
        let b = PublicKey::from_bytes([2; 32]);
        let ratchet = PublicKey::from_bytes([3; 32]);
        let message = SignalMessage::build(&[9; 32], &a, &b, &ratchet, 0, 0, vec![0xaa; 16]);
        // counter and previousCounter are emitted even when 0: 10 00 18 00.
        let proto = &message.serialized()[1..message.serialized().len() - MAC_LEN];
        assert_eq!(&proto[35..39], &[0x10, 0x00, 0x18, 0x00]);
        let parsed = SignalMessage::parse(message.serialized()).unwrap();
        assert_eq!(parsed, message);
        assert!(parsed.verify_mac(&[9; 32], &a, &b));
        assert!(!parsed.verify_mac(&[9; 32], &b, &a));
        assert!(!parsed.verify_mac(&[8; 32], &a, &b));
    }

    // The hand-written encoding is prost's, for counters across varint widths and ciphertext lengths
    // across the one/two-byte length boundary.
    #[test]
    fn hand_encoding_matches_prost() {
        let a = PublicKey::from_bytes([1; 32]);
        let b = PublicKey::from_bytes([2; 32]);
        let ratchet = PublicKey::from_bytes([3; 32]);
        for (counter, previous, len) in [
            (0, 0, 16),
            (127, 128, 112),
            (300, 0, 128),
            (u32::MAX, 70_000, 4096),
        ] {
            let ciphertext = vec![0x5a; len];
            let message =
                SignalMessage::build(&[9; 32], &a, &b, &ratchet, counter, previous, ciphertext.clone());
            let proto = WhisperMessage {
                ratchet_key: Some(ratchet.serialize().to_vec()),
                counter: Some(counter),
                previous_counter: Some(previous),
                ciphertext: Some(ciphertext),
            };
            let wire = message.serialized();
            assert_eq!(&wire[1..wire.len() - MAC_LEN], proto.encode_to_vec().as_slice());
        }
    }

    #[test]
    fn malformed_inputs_are_errors() {
        assert_eq!(
            SignalMessage::parse(&[]),
            Err(Error::InvalidSignalMessage("empty message"))
        );
        assert_eq!(
            SignalMessage::parse(&[0x23, 0, 0]),
            Err(Error::InvalidVersion(0x23))
        );
        assert!(matches!(
            SignalMessage::parse(&[0x33, 1, 2]),
            Err(Error::InvalidSignalMessage(_))
        ));
        assert!(matches!(
            SignalMessage::parse(&[0x33; 40]),
            Err(Error::InvalidSignalMessage(_))
        ));
    }
}
