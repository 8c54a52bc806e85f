//! Pairing, server and phone side: a phone scans a waiting companion's QR (or the user types its link
//! code), the phone issues the signed device identity in `pair-success`, the companion's
//! `pair-device-sign` is verified, the device is created and the stream ends with 515 (transport guide
//! D.1–D.6).

use std::time::Instant;

use base64::Engine;
use rand::Rng;
use tokio::sync::oneshot;
use wasndr_core::binary::{self, Node};
use wasndr_core::crypto::PublicKey;
use wasndr_core::jid::Jid;
use wasndr_core::pair::link_code::PrimaryLinkCode;
use wasndr_core::pair::primary::{issue_device_identity, verify_pair_device_sign};
use wasndr_core::pair::stanza::{PairDeviceSign, PairSuccess};
use wasndr_core::pair::{DeviceIdentity, QrCode};

use super::iq::IqAnswer;
use crate::conn::ConnCtx;
use crate::error::SimError;
use crate::network::registration::LinkCodeRequest;
use crate::network::{Device, Network, Outbound, PendingPair};
use crate::shared::{Shared, rng, unix_now};
use crate::stanzas::{message_id, server, stream_error};

/// Outcome of a pairing: the new device JID.
pub(crate) type PairingDone = oneshot::Receiver<Result<String, SimError>>;

/// The phone `phone` scans `qr`: checks it against the waiting companion and sends `pair-success`.
pub(crate) fn scan(shared: &Shared, phone: &str, qr: &str) -> Result<PairingDone, SimError> {
    let qr = QrCode::parse(qr).map_err(SimError::InvalidQr)?;
    let mut net = shared.net();
    if !net.accounts.contains_key(phone) {
        return Err(SimError::UnknownPhone(phone.to_owned()));
    }
    let conn_id = *net.refs.get(&qr.reference).ok_or(SimError::UnknownQrRef)?;
    let registration = net.registrations.get(&conn_id).ok_or(SimError::UnknownQrRef)?;
    let valid = registration
        .refs
        .iter()
        .any(|(reference, expiry)| *reference == qr.reference && *expiry > Instant::now());
    if !valid {
        return Err(SimError::UnknownQrRef);
    }
    if !registration.keys.identity.ct_eq(&qr.identity_public)
        || !registration.noise_key.ct_eq(&qr.noise_public)
    {
        return Err(SimError::QrKeyMismatch);
    }
    let (done, receiver) = oneshot::channel();
    issue_pair_success(&mut net, conn_id, phone, &qr.adv_secret, done)?;
    Ok(receiver)
}

/// Sends `pair-success` for a new device of `phone` to the companion on `conn_id`.
fn issue_pair_success(
    net: &mut Network,
    conn_id: u64,
    phone: &str,
    adv_secret: &[u8; 32],
    done: oneshot::Sender<Result<String, SimError>>,
) -> Result<(), SimError> {
    let iq_id = format!("pair-success-{}", net.next_number());
    let registration = net.registrations.get(&conn_id).ok_or(SimError::UnknownQrRef)?;
    if registration.pending.is_some() {
        return Err(SimError::PairingFailed(
            "this companion is already being paired".into(),
        ));
    }
    let companion_identity = registration.keys.identity;
    let outbox = registration.outbox.clone();
    let account = net
        .accounts
        .get_mut(phone)
        .ok_or_else(|| SimError::UnknownPhone(phone.to_owned()))?;
    let device = account.next_device;
    account.next_device += 1;
    let key_index = account.next_key_index;
    account.next_key_index += 1;
    let now = unix_now();
    let identity = DeviceIdentity {
        raw_id: account.phone.raw_id,
        timestamp: now,
        key_index,
        hosted: false,
    };
    let issued = issue_device_identity(
        &account.phone.identity,
        &companion_identity,
        adv_secret,
        identity,
        &mut rng(),
    );
    let success = PairSuccess {
        id: iq_id.clone(),
        timestamp: Some(now),
        device_identity: issued.container.clone(),
        jid: Jid::pn(phone).with_device(device),
        lid: Some(Jid::lid(&account.lid).with_device(device)),
        platform: Some("android".to_owned()),
        business_name: None,
    };
    let _ = outbox.send(Outbound::Node(success.to_node()));
    if let Some(registration) = net.registrations.get_mut(&conn_id) {
        registration.pending = Some(PendingPair {
            iq_id,
            phone: phone.to_owned(),
            device,
            issued,
            done: Some(done),
        });
    }
    Ok(())
}

/// The companion answered `pair-success`: verify, create the device, end the stream with 515.
pub(crate) fn on_pair_device_sign(shared: &Shared, ctx: &ConnCtx, node: &Node) {
    let reply = binary::encode(node).ok().and_then(|bytes| {
        let body = binary::unpack(&bytes).ok()?.into_owned();
        let tree = binary::decode_node(&body).ok()?;
        PairDeviceSign::from_node(&tree.root()).ok()
    });
    let mut net = shared.net();
    let Some(registration) = net.registrations.get_mut(&ctx.conn_id) else {
        return;
    };
    let Some(mut pending) = registration.pending.take() else {
        return;
    };
    let verified = match &reply {
        Some(reply) if reply.id == pending.iq_id => {
            verify_pair_device_sign(&pending.issued, &reply.device_identity)
                .map_err(|error| SimError::PairingFailed(error.to_string()))
        }
        Some(_) => Err(SimError::PairingFailed(
            "pair-device-sign answers another iq".into(),
        )),
        None => Err(SimError::PairingFailed("malformed pair-device-sign".into())),
    };
    let done = pending.done.take();
    let outcome = match verified {
        Ok(identity) => {
            let Some(registration) = net.registrations.remove(&ctx.conn_id) else {
                return;
            };
            for (reference, _) in &registration.refs {
                net.refs.remove(reference);
            }
            if let Some(account) = net.accounts.get_mut(&pending.phone) {
                account.devices.insert(
                    pending.device,
                    Device {
                        noise_key: Some(registration.noise_key),
                        keys: registration.keys,
                        key_index: identity.key_index,
                        offline: Default::default(),
                        push_name: None,
                    },
                );
                account.devices_changed = unix_now();
                super::notify_devices(&mut net, &pending.phone, super::DeviceChange::Add, pending.device);
            }
            let _ = ctx.outbox.send(Outbound::Close(Some(stream_error(515))));
            Ok(Jid::pn(&pending.phone).with_device(pending.device).to_string())
        }
        Err(error) => {
            let _ = ctx.outbox.send(Outbound::Close(None));
            Err(error)
        }
    };
    if let Some(done) = done {
        let _ = done.send(outcome);
    }
}

/// `<iq xmlns=md type=set><link_code_companion_reg stage=…>` from a waiting companion.
pub(crate) fn link_code_iq(shared: &Shared, ctx: &ConnCtx, node: &Node) -> IqAnswer {
    let bad = (400, "bad-request");
    let reg = node.child("link_code_companion_reg").ok_or(bad)?;
    let bytes_of = |tag: &str| reg.child(tag).and_then(Node::content_bytes).map(<[u8]>::to_vec);
    let mut net = shared.net();
    match reg.attr_str("stage") {
        Some("companion_hello") => {
            let phone = reg.attr_jid("jid").map(|jid| jid.user().to_owned()).ok_or(bad)?;
            if !net.accounts.contains_key(&phone) {
                return Err((404, "item-not-found"));
            }
            let wrapped = bytes_of("link_code_pairing_wrapped_companion_ephemeral_pub").ok_or(bad)?;
            let noise = bytes_of("companion_server_auth_key_pub")
                .and_then(|bytes| PublicKey::from_slice(&bytes).ok())
                .ok_or(bad)?;
            let mut random = [0u8; 16];
            rng().fill_bytes(&mut random);
            let pairing_ref = base64::engine::general_purpose::STANDARD.encode(random);
            let registration = net
                .registrations
                .get_mut(&ctx.conn_id)
                .ok_or((401, "not-authorized"))?;
            if !registration.noise_key.ct_eq(&noise) {
                return Err((401, "not-authorized"));
            }
            registration.link_code = Some(LinkCodeRequest {
                phone,
                pairing_ref: pairing_ref.clone(),
                wrapped_companion_ephemeral: wrapped,
                primary: None,
                done: None,
            });
            Ok(vec![Node::new("link_code_companion_reg").children([
                Node::new("link_code_pairing_ref").bytes(pairing_ref.into_bytes()),
            ])])
        }
        Some("companion_finish") => {
            let bundle = bytes_of("link_code_pairing_wrapped_key_bundle").ok_or(bad)?;
            let companion_identity = bytes_of("companion_identity_public")
                .and_then(|bytes| PublicKey::from_slice(&bytes).ok())
                .ok_or(bad)?;
            let pairing_ref = bytes_of("link_code_pairing_ref").ok_or(bad)?;
            let registration = net
                .registrations
                .get_mut(&ctx.conn_id)
                .ok_or((401, "not-authorized"))?;
            let request = registration.link_code.take().ok_or((404, "item-not-found"))?;
            if request.pairing_ref.as_bytes() != pairing_ref.as_slice()
                || !registration.keys.identity.ct_eq(&companion_identity)
            {
                return Err((406, "not-acceptable"));
            }
            let (primary, done) = match (request.primary, request.done) {
                (Some(primary), Some(done)) => (primary, done),
                _ => return Err((406, "not-acceptable")),
            };
            let phone = request.phone;
            let identity = net.phone(&phone).ok_or((404, "item-not-found"))?.identity.clone();
            let adv_secret = match primary.finish(&bundle, &companion_identity, &identity) {
                Ok(secret) => secret,
                Err(error) => {
                    let _ = done.send(Err(SimError::PairingFailed(error.to_string())));
                    return Err((406, "not-acceptable"));
                }
            };
            issue_pair_success(&mut net, ctx.conn_id, &phone, &adv_secret, done)
                .map_err(|_| (500, "internal-server-error"))?;
            Ok(Vec::new())
        }
        _ => Err(bad),
    }
}

/// The user typed `code` on `phone`: unwraps the waiting companion's ephemeral key, sends it the
/// primary's in a `link_code_companion_reg` notification. Completes when the companion has paired.
pub(crate) fn enter_link_code(shared: &Shared, phone: &str, code: &str) -> Result<PairingDone, SimError> {
    let (conn_id, wrapped) = {
        let net = shared.net();
        net.registrations
            .iter()
            .find_map(|(conn_id, registration)| {
                let request = registration.link_code.as_ref()?;
                (request.phone == phone && request.primary.is_none())
                    .then(|| (*conn_id, request.wrapped_companion_ephemeral.clone()))
            })
            .ok_or(SimError::NoLinkCodeRequest)?
    };
    // PBKDF2 with 131 072 rounds: done outside the network lock.
    let (primary, wrapped_primary) = PrimaryLinkCode::start(code, &wrapped, &mut rng())?;
    let mut net = shared.net();
    let identity = net
        .phone(phone)
        .ok_or_else(|| SimError::UnknownPhone(phone.to_owned()))?
        .identity
        .clone();
    let registration = net
        .registrations
        .get_mut(&conn_id)
        .ok_or(SimError::NoLinkCodeRequest)?;
    let request = registration
        .link_code
        .as_mut()
        .ok_or(SimError::NoLinkCodeRequest)?;
    let (done, receiver) = oneshot::channel();
    request.primary = Some(primary);
    request.done = Some(done);
    let notification = Node::new("notification")
        .attr("from", server())
        .attr("type", "link_code_companion_reg")
        .attr("id", message_id())
        .attr("t", unix_now().to_string())
        .children([Node::new("link_code_companion_reg")
            .attr("stage", "primary_hello")
            .children([
                Node::new("link_code_pairing_wrapped_primary_ephemeral_pub").bytes(wrapped_primary.to_vec()),
                Node::new("primary_identity_pub").bytes(identity.public().as_bytes().to_vec()),
                Node::new("link_code_pairing_ref").bytes(request.pairing_ref.clone().into_bytes()),
            ])]);
    let _ = registration.outbox.send(Outbound::Node(notification));
    Ok(receiver)
}
