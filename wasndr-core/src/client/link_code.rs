//! Pairing by phone number (transport guide D.6), the companion's side as the client runs it.
//!
//! On a registration connection, [`request_code`] sends `companion_hello` with our ephemeral key wrapped
//! under a fresh 8-character code, keeps the code and the server's pairing ref, and reports the code as
//! [`Event::PairCode`]. When the user has typed the code on the phone, the server forwards the phone's
//! wrapped ephemeral key in a `link_code_companion_reg` notification; [`answer_primary`] derives the new
//! ADV secret, makes it available to the `pair-success` check, and sends `companion_finish`. The normal
//! `pair-success` follows. The crypto is [`crate::pair::link_code`]'s; this module adds the stanzas and
//! the state between the steps.

use std::sync::Arc;

use rand::rngs::StdRng;

use super::event::Event;
use super::{ConnectionState, Shared, lock};
use crate::binary::{Content, Node};
use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::login::CompanionPlatform;
use crate::pair::link_code::{CompanionFinish, CompanionLinkCode, WRAPPED_KEY_LEN, display_link_code};
use crate::pair::stanza::PAIRING_XMLNS;

/// Link-code pairing on the current registration connection.
#[derive(Default)]
pub(super) struct LinkCodeState {
    /// The code shown to the user, waiting for the phone.
    waiting: Option<WaitingCode>,
    /// The ADV secret derived with the phone, once `companion_finish` went out.
    adv_secret: Option<[u8; 32]>,
}

impl std::fmt::Debug for LinkCodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkCodeState")
            .field("waiting", &self.waiting.is_some())
            .field("adv_secret", &self.adv_secret.map(|_| "<redacted>"))
            .finish()
    }
}

/// A code the user is to type on the phone.
struct WaitingCode {
    phone: Jid,
    code: CompanionLinkCode,
    pairing_ref: Vec<u8>,
}

impl Shared {
    /// Forgets any link-code exchange: its pairing ref belongs to a connection that is gone.
    pub(super) fn reset_link_code(&self) {
        *lock(&self.link_code) = LinkCodeState::default();
    }

    /// The ADV secret a link-code exchange derived, if one finished on this connection.
    pub(super) fn link_code_secret(&self) -> Option<[u8; 32]> {
        lock(&self.link_code).adv_secret
    }
}

/// `<iq to=@s.whatsapp.net type=set xmlns=md><link_code_companion_reg jid=PHONE stage=companion_hello
/// should_show_push_notification=…>` with the wrapped ephemeral key, our Noise key, the platform id and
/// display name, and the nonce (D.6 step 4; the nonce is Baileys' text `0`).
pub(crate) fn companion_hello(
    phone: &Jid,
    wrapped_ephemeral: &[u8; WRAPPED_KEY_LEN],
    noise_key: &PublicKey,
    platform: &CompanionPlatform,
    show_push_notification: bool,
) -> Node {
    pairing_iq([Node::new("link_code_companion_reg")
        .attr("jid", phone.clone())
        .attr("stage", "companion_hello")
        .attr(
            "should_show_push_notification",
            if show_push_notification { "true" } else { "false" },
        )
        .children([
            Node::new("link_code_pairing_wrapped_companion_ephemeral_pub").bytes(wrapped_ephemeral.to_vec()),
            Node::new("companion_server_auth_key_pub").bytes(noise_key.as_bytes().to_vec()),
            Node::new("companion_platform_id").text(platform.web_client_type().to_string()),
            Node::new("companion_platform_display").text(platform.display_name()),
            Node::new("link_code_pairing_nonce").text("0"),
        ])])
}

/// `<iq to=@s.whatsapp.net type=set xmlns=md><link_code_companion_reg jid=PHONE stage=companion_finish>`
/// with the wrapped key bundle, our identity key and the pairing ref (D.6 step 7).
pub(crate) fn companion_finish(
    phone: &Jid,
    wrapped_key_bundle: &[u8],
    identity: &PublicKey,
    pairing_ref: &[u8],
) -> Node {
    pairing_iq([Node::new("link_code_companion_reg")
        .attr("jid", phone.clone())
        .attr("stage", "companion_finish")
        .children([
            Node::new("link_code_pairing_wrapped_key_bundle").bytes(wrapped_key_bundle.to_vec()),
            Node::new("companion_identity_public").bytes(identity.as_bytes().to_vec()),
            Node::new("link_code_pairing_ref").bytes(pairing_ref.to_vec()),
        ])])
}

fn pairing_iq(children: [Node; 1]) -> Node {
    Node::new("iq")
        .attr("to", Jid::server())
        .attr("type", "set")
        .attr("xmlns", PAIRING_XMLNS)
        .children(children)
}

/// Byte or string content as bytes (a string that is not a token travels as bytes anyway).
fn content_as_bytes(node: &Node) -> Option<Vec<u8>> {
    match &node.content {
        Content::Bytes(bytes) => Some(bytes.clone()),
        Content::Text(text) => Some(text.as_bytes().to_vec()),
        _ => None,
    }
}

/// The pairing ref in the answer to `companion_hello`:
/// `<iq type=result><link_code_companion_reg><link_code_pairing_ref>REF</…></…></iq>`.
pub(crate) fn parse_pairing_ref(answer: &Node) -> Result<Vec<u8>> {
    answer
        .child("link_code_companion_reg")
        .and_then(|reg| reg.child("link_code_pairing_ref"))
        .and_then(content_as_bytes)
        .filter(|reference| !reference.is_empty())
        .ok_or_else(|| Error::UnexpectedStanza {
            expected: "<link_code_companion_reg><link_code_pairing_ref> in the companion_hello answer",
            received: answer.to_string(),
        })
}

/// The phone's half, from `<notification type=link_code_companion_reg><link_code_companion_reg>` (D.6
/// step 5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrimaryHello {
    pub(crate) pairing_ref: Vec<u8>,
    pub(crate) primary_identity: PublicKey,
    pub(crate) wrapped_primary_ephemeral: Vec<u8>,
}

/// Reads the notification; `None` if a part is missing or has the wrong size.
pub(crate) fn parse_primary_hello(notification: &Node) -> Option<PrimaryHello> {
    let reg = notification.child("link_code_companion_reg")?;
    let part = |tag: &str| reg.child(tag).and_then(Node::content_bytes);
    let wrapped = part("link_code_pairing_wrapped_primary_ephemeral_pub")?;
    if wrapped.len() != WRAPPED_KEY_LEN {
        return None;
    }
    Some(PrimaryHello {
        pairing_ref: reg.child("link_code_pairing_ref").and_then(content_as_bytes)?,
        primary_identity: PublicKey::from_slice(part("primary_identity_pub")?).ok()?,
        wrapped_primary_ephemeral: wrapped.to_vec(),
    })
}

/// Runs CPU-heavy link-code crypto (PBKDF2 with 131 072 rounds) off the async worker threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce(&mut StdRng) -> T + Send + 'static) -> Result<T> {
    let joined = tokio::task::spawn_blocking(move || work(&mut rand::make_rng())).await;
    match joined {
        Ok(value) => Ok(value),
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // The runtime is shutting down.
        Err(_) => Err(Error::NotConnected),
    }
}

/// Waits until the connection `connect` started has registered (or ended), and checks that it is a
/// registration: phone-number pairing only makes sense for a device that is not paired yet.
async fn wait_for_registration(shared: &Shared) -> Result<()> {
    let mut states = shared.state.subscribe();
    let settled = states
        .wait_for(|state| !matches!(state, ConnectionState::Connecting | ConnectionState::Reconnecting));
    let limit = shared.config.connect_timeout + shared.config.handshake_timeout;
    let state = match tokio::time::timeout(limit, settled).await {
        Ok(Ok(state)) => *state,
        Ok(Err(_)) => return Err(Error::NotConnected),
        Err(_) => {
            return Err(Error::PairingUnavailable(
                "the connection did not come up in time",
            ));
        }
    };
    match state {
        ConnectionState::Pairing => Ok(()),
        ConnectionState::LoggingIn | ConnectionState::Connected => {
            Err(Error::PairingUnavailable("this device is already paired"))
        }
        _ => Err(Error::NotConnected),
    }
}

/// Starts phone-number pairing for `phone` (digits, `+` and separators allowed) with `code` or a random
/// one; returns the code in its `XXXX-XXXX` form once the server accepted it.
pub(super) async fn request_code(
    shared: &Shared,
    phone: &str,
    code: Option<&str>,
    show_push_notification: bool,
) -> Result<String> {
    let phone = Jid::from_phone_number(phone)?;
    wait_for_registration(shared).await?;
    let device = shared
        .store
        .load_device()
        .await?
        .ok_or(Error::PairingUnavailable("no device in the store"))?;
    if device.is_paired() {
        return Err(Error::PairingUnavailable("this device is already paired"));
    }
    let chosen = code.map(str::to_owned);
    let (link, wrapped) = blocking(move |rng| -> Result<_> {
        let link = match chosen {
            Some(code) => CompanionLinkCode::with_code(&code, rng)?,
            None => CompanionLinkCode::new(rng),
        };
        let wrapped = link.wrapped_ephemeral(rng);
        Ok((link, wrapped))
    })
    .await??;
    let hello = companion_hello(
        &phone,
        &wrapped,
        &device.noise_key.public,
        &shared.config.payload.platform,
        show_push_notification,
    );
    let answer = shared.send_iq(hello).await?;
    let pairing_ref = parse_pairing_ref(&answer)?;
    let shown = display_link_code(link.code());
    lock(&shared.link_code).waiting = Some(WaitingCode {
        phone,
        code: link,
        pairing_ref,
    });
    shared.events.emit(Event::PairCode { code: shown.clone() }).await;
    Ok(shown)
}

/// Answers the phone's notification: derives the ADV secret, keeps it for the `pair-success` check, and
/// sends `companion_finish`. Failures are reported as [`Event::PairError`]; the QR flow goes on.
pub(super) async fn answer_primary(shared: Arc<Shared>, hello: PrimaryHello) {
    if let Err(error) = finish(&shared, hello).await {
        tracing::warn!(%error, "link-code pairing failed");
        shared
            .events
            .emit(Event::PairError {
                reason: format!("link-code pairing failed: {error}"),
            })
            .await;
    }
}

async fn finish(shared: &Shared, hello: PrimaryHello) -> Result<()> {
    let waiting = {
        let mut state = lock(&shared.link_code);
        match &state.waiting {
            Some(waiting) if waiting.pairing_ref == hello.pairing_ref => state.waiting.take(),
            _ => None,
        }
    }
    .ok_or(Error::InvalidLinkCode(
        "the phone answered a pairing ref we are not waiting for",
    ))?;
    let identity = shared.store.identity_key_pair().await?;
    let own_identity = *identity.public();
    let primary_identity = hello.primary_identity;
    let WaitingCode {
        phone,
        code,
        pairing_ref,
    } = waiting;
    let CompanionFinish {
        wrapped_key_bundle,
        adv_secret,
    } = blocking(move |rng| {
        code.finish(
            &hello.wrapped_primary_ephemeral,
            &primary_identity,
            &identity,
            rng,
        )
    })
    .await??;
    // In place before companion_finish goes out: the pair-success it leads to is checked against it.
    lock(&shared.link_code).adv_secret = Some(adv_secret);
    shared
        .send_iq(companion_finish(
            &phone,
            &wrapped_key_bundle,
            &own_identity,
            &pairing_ref,
        ))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;
    use crate::binary;
    use crate::crypto::KeyPair;
    use crate::login::Browser;

    #[test]
    fn companion_hello_has_the_parts_the_guide_lists() {
        let mut rng = StdRng::seed_from_u64(1);
        let noise = KeyPair::generate(&mut rng).public;
        let node = companion_hello(
            &Jid::pn("15551234567"),
            &[7; WRAPPED_KEY_LEN],
            &noise,
            &CompanionPlatform::new("Mac OS", Browser::Safari),
            true,
        );
        // Through the codec, as the server reads it.
        let node = binary::decode_owned(&binary::encode(&node).unwrap()).unwrap();
        assert_eq!(node.attr_str("xmlns"), Some("md"));
        assert_eq!(node.attr_str("type"), Some("set"));
        let reg = node.child("link_code_companion_reg").unwrap();
        assert_eq!(
            reg.attr_jid("jid").unwrap().to_string(),
            "15551234567@s.whatsapp.net"
        );
        assert_eq!(reg.attr_str("stage"), Some("companion_hello"));
        assert_eq!(reg.attr_str("should_show_push_notification"), Some("true"));
        let part = |tag: &str| content_as_bytes(reg.child(tag).unwrap()).unwrap();
        assert_eq!(
            part("link_code_pairing_wrapped_companion_ephemeral_pub"),
            [7; WRAPPED_KEY_LEN]
        );
        assert_eq!(part("companion_server_auth_key_pub"), noise.as_bytes());
        assert_eq!(part("companion_platform_id"), b"6");
        assert_eq!(part("companion_platform_display"), b"Safari (Mac OS)");
        assert_eq!(part("link_code_pairing_nonce"), b"0");
    }

    #[test]
    fn companion_finish_and_the_notification_round_trip() {
        let mut rng = StdRng::seed_from_u64(2);
        let identity = KeyPair::generate(&mut rng).public;
        let node = companion_finish(&Jid::pn("1555"), &[1, 2, 3], &identity, b"REF");
        let reg = node.child("link_code_companion_reg").unwrap();
        assert_eq!(reg.attr_str("stage"), Some("companion_finish"));
        assert_eq!(
            reg.child("companion_identity_public").unwrap().content_bytes(),
            Some(identity.as_bytes().as_slice())
        );

        let notification = |wrapped_len: usize| {
            Node::new("notification")
                .attr("type", "link_code_companion_reg")
                .children([Node::new("link_code_companion_reg")
                    .attr("stage", "primary_hello")
                    .children([
                        Node::new("link_code_pairing_wrapped_primary_ephemeral_pub")
                            .bytes(vec![5; wrapped_len]),
                        Node::new("primary_identity_pub").bytes(identity.as_bytes().to_vec()),
                        Node::new("link_code_pairing_ref").bytes(b"REF".to_vec()),
                    ])])
        };
        let hello = parse_primary_hello(&notification(WRAPPED_KEY_LEN)).unwrap();
        assert_eq!(hello.pairing_ref, b"REF");
        assert_eq!(hello.primary_identity, identity);
        assert!(parse_primary_hello(&notification(79)).is_none());
        assert!(parse_primary_hello(&Node::new("notification")).is_none());

        let answer = Node::new("iq").children([Node::new("link_code_companion_reg")
            .children([Node::new("link_code_pairing_ref").bytes(b"R1".to_vec())])]);
        assert_eq!(parse_pairing_ref(&answer).unwrap(), b"R1");
        assert!(matches!(
            parse_pairing_ref(&Node::new("iq")),
            Err(Error::UnexpectedStanza { .. })
        ));
    }
}
