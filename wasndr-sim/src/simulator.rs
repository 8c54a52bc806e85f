//! Starting a simulator and its Rust control surface ([`SimHandle`]), the same operations as the admin
//! HTTP API.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use wasndr_core::crypto::{KeyPair, PrivateKey};
use wasndr_core::jid::{Jid, normalize_phone_number};
use wasndr_core::noise::{CertificateAuthority, CertificateParams, Responder};

use crate::config::SimConfig;
use crate::error::SimError;
use crate::handlers;
use crate::info::SimInfo;
use crate::network::{Account, Device, Session};
use crate::phone::{Phone, PhoneMedia, ReceivedMessage};
use crate::shared::{Shared, rng, unix_now};

/// Entry point: `Simulator::start(config)`.
#[derive(Debug)]
pub struct Simulator;

/// A virtual phone as listed by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneInfo {
    /// The phone number (digits).
    pub phone: String,
    /// Its JID (`DIGITS@s.whatsapp.net`).
    pub jid: String,
    /// Its LID JID (`DIGITS@lid`).
    pub lid: String,
    /// Its devices: 0 (the phone) and any paired companions.
    pub devices: Vec<u16>,
}

/// A running simulator. Clones share it; it stops when [`SimHandle::shutdown`] is called or the last
/// clone is dropped.
#[derive(Debug, Clone)]
pub struct SimHandle {
    shared: Arc<Shared>,
    _stop: Arc<StopOnDrop>,
}

#[derive(Debug)]
struct StopOnDrop(watch::Sender<bool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

impl Simulator {
    /// Binds the listener, issues the certificate chain and starts serving the WebSocket, admin API
    /// and media host on one port.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let mut rng = rng();
        let root = match config.root_private_key {
            Some(private) => KeyPair::from_private(PrivateKey::from_bytes(private)),
            None => KeyPair::generate(&mut rng),
        };
        let authority = CertificateAuthority::new(root, 0);
        let static_key = KeyPair::generate(&mut rng);
        let intermediate_key = KeyPair::generate(&mut rng);
        let now = unix_now();
        let validity = |serial| CertificateParams {
            serial,
            not_before: now.saturating_sub(86_400),
            not_after: now + 365 * 86_400,
        };
        let chain = authority.issue_chain(
            &intermediate_key,
            validity(1),
            &static_key.public,
            validity(2),
            &mut rng,
        );
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let tls_listener = TcpListener::bind((addr.ip(), 0)).await?;
        let tls_addr = tls_listener.local_addr()?;
        let tls_listener = crate::media_tls::TlsListener::new(tls_listener)?;
        let trust = authority.trust_root();
        let info = SimInfo {
            ws_url: format!("ws://{addr}/ws/chat"),
            media_url: format!("http://{addr}"),
            media_tls_url: format!("https://{tls_addr}"),
            admin_url: format!("http://{addr}/admin"),
            root_public_key: hex::encode(trust.public_key.as_bytes()),
            root_serial: trust.serial,
        };
        let shared = Arc::new(Shared::new(config, info, Responder::new(static_key, chain)));
        let (stop, mut stopped) = watch::channel(false);
        let app = crate::http::router(shared.clone());
        let media_app = crate::http::media_router(shared.clone());
        let mut media_stopped = stopped.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = media_stopped.wait_for(|stop| *stop).await;
            };
            let _ = axum::serve(tls_listener, media_app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
        });
        Ok(SimHandle {
            shared,
            _stop: Arc::new(StopOnDrop(stop)),
        })
    }
}

impl SimHandle {
    /// Where it listens and the root to trust.
    pub fn info(&self) -> SimInfo {
        self.shared.info.clone()
    }

    /// Stops accepting connections (existing ones end as their tasks notice).
    pub fn shutdown(&self) {
        let _ = self._stop.0.send(true);
        let mut net = self.shared.net();
        net.sessions.clear();
        net.registrations.clear();
    }

    /// Creates a phone with a primary device holding a fresh Signal identity and published prekeys.
    pub async fn create_phone(&self, phone: &str) -> Result<PhoneInfo, SimError> {
        create_phone(&self.shared, phone).await
    }

    /// Every phone, in number order.
    pub fn phones(&self) -> Vec<PhoneInfo> {
        phones(&self.shared)
    }

    /// `phone` scans a companion's QR code (either form); resolves to the new device JID once the
    /// companion has answered `pair-device-sign`.
    pub async fn scan(&self, phone: &str, qr: &str) -> Result<String, SimError> {
        let phone = number(phone)?;
        let done = handlers::scan(&self.shared, &phone, qr)?;
        wait_paired(done).await
    }

    /// The user types a companion's link code on `phone` (phone-number pairing); resolves to the new
    /// device JID once the companion has paired.
    pub async fn enter_link_code(&self, phone: &str, code: &str) -> Result<String, SimError> {
        let phone = number(phone)?;
        let done = handlers::enter_link_code(&self.shared, &phone, code)?;
        wait_paired(done).await
    }

    /// `phone` sends `text` to a user or group JID (or a bare phone number); returns the message id.
    pub async fn send_text(&self, phone: &str, to: &str, text: &str) -> Result<String, SimError> {
        let sender = self.phone(phone)?;
        let to = recipient(to)?;
        sender.send_text(&self.shared, &to, text).await
    }

    /// `phone` sends a file to a user or group JID (or a bare phone number) as a media message: it
    /// encrypts the file under a fresh media key, puts the blob on the simulator's media host and sends
    /// the message like a text. Returns the message id.
    pub async fn send_media(&self, phone: &str, to: &str, media: PhoneMedia) -> Result<String, SimError> {
        let sender = self.phone(phone)?;
        let to = recipient(to)?;
        sender.send_media(&self.shared, &to, media).await
    }

    /// What `phone` received and decrypted, oldest first.
    pub fn messages(&self, phone: &str) -> Result<Vec<ReceivedMessage>, SimError> {
        Ok(self.phone(phone)?.messages())
    }

    /// Waits until `phone` has received at least `count` messages (or `timeout` passes) and returns them.
    pub async fn wait_for_messages(
        &self,
        phone: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedMessage>, SimError> {
        let phone = self.phone(phone)?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = phone.messages();
            if messages.len() >= count {
                return Ok(messages);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(SimError::Timeout("messages"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Creates a group owned by `creator` with the given phones; returns its JID.
    pub fn create_group(
        &self,
        creator: &str,
        subject: &str,
        participants: &[&str],
    ) -> Result<String, SimError> {
        let creator = number(creator)?;
        let participants = participants
            .iter()
            .map(|phone| number(phone))
            .collect::<Result<Vec<_>, _>>()?;
        let mut net = self.shared.net();
        if !net.accounts.contains_key(&creator) {
            return Err(SimError::UnknownPhone(creator));
        }
        if let Some(missing) = participants
            .iter()
            .find(|phone| !net.accounts.contains_key(*phone))
        {
            return Err(SimError::UnknownPhone(missing.clone()));
        }
        let id = handlers::create_group(&mut net, &creator, subject, &participants, None)
            .map_err(|(_, text)| SimError::PairingFailed(text.to_owned()))?;
        Ok(Jid::group(&id).to_string())
    }

    /// Unlinks a companion device: its connection ends with `401 device_removed` and later logins fail.
    pub fn remove_device(&self, phone: &str, device: u16) -> Result<bool, SimError> {
        let phone = number(phone)?;
        let mut net = self.shared.net();
        Ok(handlers::iq::remove_device(&mut net, &phone, device))
    }

    /// Whether a device currently has a live connection.
    pub fn is_connected(&self, phone: &str, device: u16) -> bool {
        number(phone)
            .map(|phone| self.shared.net().sessions.contains_key(&(phone, device)))
            .unwrap_or(false)
    }

    fn phone(&self, phone: &str) -> Result<Arc<Phone>, SimError> {
        let phone = number(phone)?;
        self.shared
            .net()
            .phone(&phone)
            .ok_or(SimError::UnknownPhone(phone))
    }
}

async fn wait_paired(done: handlers::PairingDone) -> Result<String, SimError> {
    match tokio::time::timeout(Duration::from_secs(30), done).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Err(SimError::PairingFailed("the companion went away".into())),
        Err(_) => Err(SimError::Timeout("pair-device-sign")),
    }
}

/// Digits of a phone number (`+1 555…`, `1555…@s.whatsapp.net` are accepted).
pub(crate) fn number(phone: &str) -> Result<String, SimError> {
    let bare = phone.split('@').next().unwrap_or_default();
    normalize_phone_number(bare).map_err(|_| SimError::InvalidPhone(phone.to_owned()))
}

/// A user or group JID, or a bare phone number.
pub(crate) fn recipient(to: &str) -> Result<Jid, SimError> {
    if to.contains('@') {
        Jid::parse(to).map_err(|_| SimError::InvalidRecipient(to.to_owned()))
    } else {
        Ok(Jid::pn(&number(to)?))
    }
}

pub(crate) async fn create_phone(shared: &Arc<Shared>, phone: &str) -> Result<PhoneInfo, SimError> {
    let phone = number(phone)?;
    if shared.net().accounts.contains_key(&phone) {
        return Err(SimError::PhoneExists(phone));
    }
    let (virtual_phone, keys, outbox) = Phone::create(shared, &phone, shared.config.phone_prekeys).await?;
    let mut net = shared.net();
    if net.accounts.contains_key(&phone) {
        return Err(SimError::PhoneExists(phone));
    }
    // LIDs: 15 digits, unique per account.
    let lid = format!(
        "{}",
        100_000_000_000_000u64 + net.next_number() * 7_919 + unix_now() % 7_919
    );
    let mut devices = std::collections::BTreeMap::new();
    devices.insert(
        0,
        Device {
            noise_key: None,
            keys,
            key_index: 0,
            offline: Default::default(),
            push_name: None,
        },
    );
    net.lids.insert(lid.clone(), phone.clone());
    net.accounts.insert(
        phone.clone(),
        Account {
            lid: lid.clone(),
            devices,
            next_device: 1,
            next_key_index: 1,
            devices_changed: unix_now(),
            phone: virtual_phone,
        },
    );
    net.sessions.insert(
        (phone.clone(), 0),
        Session {
            conn_id: 0,
            outbox,
            active: true,
        },
    );
    Ok(PhoneInfo {
        jid: Jid::pn(&phone).to_string(),
        lid: Jid::lid(&lid).to_string(),
        phone,
        devices: vec![0],
    })
}

pub(crate) fn phones(shared: &Shared) -> Vec<PhoneInfo> {
    let net = shared.net();
    let mut list: Vec<PhoneInfo> = net
        .accounts
        .iter()
        .map(|(phone, account)| PhoneInfo {
            phone: phone.clone(),
            jid: Jid::pn(phone).to_string(),
            lid: Jid::lid(&account.lid).to_string(),
            devices: account.devices.keys().copied().collect(),
        })
        .collect();
    list.sort_by(|a, b| a.phone.cmp(&b.phone));
    list
}
