//! What happens right after the handshake: the `ClientPayload` says "new device" (devicePairingData, no
//! username: start pairing) or "log in" (username + device), transport guide A.7, D.1, E.1.

use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use wasndr_core::binary::Node;
use wasndr_core::crypto::PublicKey;
use wasndr_core::jid::Jid;
use wasndr_core::pair::stanza::pair_device;
use wasndr_proto::Message;
use wasndr_proto::client_payload::ClientPayload;
use wasndr_proto::client_payload::client_payload::DevicePairingRegistrationData;

use super::Peer;
use crate::network::{DeviceKeys, Outbound, Outbox, Registration, Session, SignedPreKeyPublic};
use crate::shared::{Shared, rng, unix_now};
use crate::stanzas::failure;

/// Reads the ClientPayload and starts pairing or logs the device in. `None` when the payload is not a
/// usable ClientPayload (the connection closes).
pub(crate) fn authenticate(
    shared: &Shared,
    conn_id: u64,
    outbox: &Outbox,
    client_static: &PublicKey,
    payload: &[u8],
) -> Option<Peer> {
    let payload = ClientPayload::decode(payload).ok()?;
    match (payload.username, payload.device_pairing_data) {
        (Some(username), _) => Some(login(
            shared,
            conn_id,
            outbox,
            client_static,
            username,
            payload.device.unwrap_or(0),
            payload.passive.unwrap_or(false),
            payload.push_name,
        )),
        (None, Some(pairing)) => register(shared, conn_id, outbox, client_static, &pairing),
        (None, None) => {
            let _ = outbox.send(Outbound::Close(Some(failure(401))));
            Some(Peer::Refused)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn login(
    shared: &Shared,
    conn_id: u64,
    outbox: &Outbox,
    client_static: &PublicKey,
    username: u64,
    device: u32,
    passive: bool,
    push_name: Option<String>,
) -> Peer {
    let phone = username.to_string();
    let Ok(device) = u16::try_from(device) else {
        let _ = outbox.send(Outbound::Close(Some(failure(401))));
        return Peer::Refused;
    };
    let mut net = shared.net();
    let known = net
        .accounts
        .get_mut(&phone)
        .and_then(|account| account.devices.get_mut(&device))
        .filter(|record| {
            record
                .noise_key
                .is_some_and(|noise_key| noise_key.ct_eq(client_static))
        });
    let Some(record) = known else {
        let _ = outbox.send(Outbound::Close(Some(failure(401))));
        return Peer::Refused;
    };
    if push_name.is_some() {
        record.push_name = push_name;
    }
    let id = (phone.clone(), device);
    let replaced = net.sessions.insert(
        id.clone(),
        Session {
            conn_id,
            outbox: outbox.clone(),
            active: false,
        },
    );
    if let Some(old) = replaced {
        // A second connection for the same device takes over; the first is told why (E.5).
        let conflict = Node::new("stream:error").children([Node::new("conflict").attr("type", "replaced")]);
        let _ = old.outbox.send(Outbound::Close(Some(conflict)));
    }
    let lid = net
        .accounts
        .get(&phone)
        .map(|account| account.lid.clone())
        .unwrap_or_default();
    let success = Node::new("success")
        .attr("t", unix_now().to_string())
        .attr("props", "1")
        .attr("lid", Jid::lid(&lid).with_device(device))
        .attr("creation", unix_now().to_string())
        .attr("location", "sim");
    let _ = outbox.send(Outbound::Node(success));
    if !passive {
        net.activate(&id);
    }
    Peer::Device(id)
}

fn register(
    shared: &Shared,
    conn_id: u64,
    outbox: &Outbox,
    client_static: &PublicKey,
    pairing: &DevicePairingRegistrationData,
) -> Option<Peer> {
    let keys = pairing_keys(pairing)?;
    let mut rng = rng();
    let now = Instant::now();
    let mut refs = Vec::with_capacity(shared.config.qr_refs);
    let mut expiry = now;
    for index in 0..shared.config.qr_refs {
        let mut random = [0u8; 36];
        rng.fill_bytes(&mut random);
        // The first ref is shown for 60 s, each later one for 20 s (whatsmeow qrchan.go).
        expiry += shared.config.scaled(if index == 0 { 60.0 } else { 20.0 });
        refs.push((format!("2@{}", STANDARD.encode(random)), expiry));
    }
    let ref_strings: Vec<String> = refs.iter().map(|(reference, _)| reference.clone()).collect();
    let mut net = shared.net();
    for reference in &ref_strings {
        net.refs.insert(reference.clone(), conn_id);
    }
    let iq_id = format!("pair-device-{}", net.next_number());
    net.registrations.insert(
        conn_id,
        Registration {
            outbox: outbox.clone(),
            noise_key: *client_static,
            keys,
            refs,
            pending: None,
            link_code: None,
        },
    );
    let _ = outbox.send(Outbound::Node(pair_device(&iq_id, &ref_strings)));
    Some(Peer::Registering)
}

/// The Signal keys in `devicePairingData`: 4-byte registration id, key type 05, identity, 3-byte signed
/// prekey id, signed prekey and its signature.
fn pairing_keys(pairing: &DevicePairingRegistrationData) -> Option<DeviceKeys> {
    let registration_id = u32::from_be_bytes(pairing.e_regid.as_deref()?.try_into().ok()?);
    let identity = PublicKey::from_slice(pairing.e_ident.as_deref()?).ok()?;
    let id_bytes: [u8; 3] = pairing.e_skey_id.as_deref()?.try_into().ok()?;
    let signed_id = u32::from_be_bytes([0, id_bytes[0], id_bytes[1], id_bytes[2]]);
    let signed_public = PublicKey::from_slice(pairing.e_skey_val.as_deref()?).ok()?;
    let signature: [u8; 64] = pairing.e_skey_sig.as_deref()?.try_into().ok()?;
    if !identity.verify(&signed_public.serialize(), &signature) {
        return None;
    }
    Some(DeviceKeys {
        registration_id,
        identity,
        signed_prekey: SignedPreKeyPublic {
            id: signed_id,
            public: signed_public,
            signature,
        },
        prekeys: Default::default(),
    })
}
