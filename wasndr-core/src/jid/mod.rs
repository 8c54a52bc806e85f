//! WhatsApp JIDs: `user[.agent][:device]@server`.
//!
//! [`Jid`] is the owned value (its user is an `Arc<str>`, so clones are a reference-count bump and the
//! server is a one-byte [`Server`]); [`JidRef`] is the same thing borrowing its user, which is what the
//! binary decoder and the text parser produce before anything is copied.
//!
//! Text forms accepted by [`Jid::parse`] (see the transport guide, C.1–C.2, and the messaging guide, 0):
//!
//! | text | meaning |
//! | --- | --- |
//! | `15551234567@s.whatsapp.net` | a user (device 0, the phone) |
//! | `15551234567:3@s.whatsapp.net` | device 3 of that user |
//! | `123456789012345:3@lid`, `…@hosted`, `…@hosted.lid` | LID and hosted forms |
//! | `120363025246125888@g.us`, `status@broadcast`, `…@newsletter`, `…@bot`, `0@c.us` | other servers |
//! | `1234:7@msgr` | a Messenger user |
//! | `5-1234:2@interop` | an interop user: integrator 5, user 1234, device 2 (Baileys' form) |
//! | `s.whatsapp.net`, `@s.whatsapp.net`, `@g.us` | a bare server (empty user) |
//! | `user.agent:device@s.whatsapp.net` (whatsmeow), `user_agent:device@…` (Baileys) | a raw AD agent |
//!
//! Printing uses the first form of each row, the `@server` form for bare servers (what Baileys' decoder
//! renders, and what it compares `from` against) and whatsmeow's `.agent` form for raw agents.

mod phone;
mod server;
mod signal_address;
mod text;

use std::sync::{Arc, LazyLock};

pub use phone::{MAX_PHONE_DIGITS, MIN_PHONE_DIGITS, PhoneNumberProblem, normalize_phone_number};
pub use server::Server;
pub use signal_address::SignalAddress;

use crate::error::Result;

/// An owned JID. Cheap to clone (the user is shared) and to compare.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Jid {
    user: Arc<str>,
    server: Server,
    agent: u8,
    device: u16,
    integrator: u16,
}

/// A JID borrowing its user string: what decoding and parsing produce. `Copy`; turn it into a [`Jid`]
/// with [`JidRef::to_owned`] when it must outlive the buffer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JidRef<'a> {
    pub(crate) user: &'a str,
    pub(crate) server: Server,
    pub(crate) agent: u8,
    pub(crate) device: u16,
    pub(crate) integrator: u16,
}

fn empty_user() -> Arc<str> {
    // Bare server JIDs are built for nearly every IQ; share one empty string instead of allocating.
    static EMPTY: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from(""));
    EMPTY.clone()
}

fn shared_user(user: &str) -> Arc<str> {
    if user.is_empty() {
        empty_user()
    } else {
        Arc::from(user)
    }
}

impl Jid {
    /// A JID with this user on this server, device 0. The user is taken as is (any string the wire can
    /// carry); use [`Jid::parse`] for text.
    pub fn new(user: &str, server: Server) -> Jid {
        Jid {
            user: shared_user(user),
            server,
            agent: 0,
            device: 0,
            integrator: 0,
        }
    }

    /// The bare server JID of `server` (empty user), printed `@server`.
    pub fn bare(server: Server) -> Jid {
        Jid::new("", server)
    }

    /// `@s.whatsapp.net`: the WhatsApp server, the `to` of most IQs.
    pub fn server() -> Jid {
        Jid::bare(Server::Whatsapp)
    }

    /// `@g.us`: the group server, the `to` of group create/leave/participating queries.
    pub fn group_server() -> Jid {
        Jid::bare(Server::Group)
    }

    /// `status@broadcast`: status updates.
    pub fn status_broadcast() -> Jid {
        Jid::new("status", Server::Broadcast)
    }

    /// A phone-number user `user@s.whatsapp.net` (digits with country code, no `+`).
    pub fn pn(user: &str) -> Jid {
        Jid::new(user, Server::Whatsapp)
    }

    /// A LID user `user@lid`.
    pub fn lid(user: &str) -> Jid {
        Jid::new(user, Server::Lid)
    }

    /// A group `id@g.us`.
    pub fn group(id: &str) -> Jid {
        Jid::new(id, Server::Group)
    }

    /// A newsletter (channel) `id@newsletter`.
    pub fn newsletter(id: &str) -> Jid {
        Jid::new(id, Server::Newsletter)
    }

    /// A Messenger user `user:device@msgr`.
    pub fn messenger(user: &str, device: u16) -> Jid {
        Jid::new(user, Server::Messenger).with_device(device)
    }

    /// An interop user `integrator-user:device@interop`.
    pub fn interop(user: &str, device: u16, integrator: u16) -> Jid {
        let mut jid = Jid::new(user, Server::Interop).with_device(device);
        jid.integrator = integrator;
        jid
    }

    /// The phone-number user for a human-written number such as `+1 (555) 123-4567`; see
    /// [`normalize_phone_number`] for what is accepted.
    pub fn from_phone_number(input: &str) -> Result<Jid> {
        let digits = normalize_phone_number(input)?;
        Ok(Jid::pn(&digits))
    }

    /// Parses any text form listed in the [module docs](self).
    pub fn parse(text: &str) -> Result<Jid> {
        JidRef::parse(text).map(|jid| jid.to_owned())
    }

    /// This JID addressing `device` (0 = the primary phone).
    #[must_use]
    pub fn with_device(mut self, device: u16) -> Jid {
        self.device = device;
        self
    }

    /// This JID with a raw AD agent number (whatsmeow's `RawAgent`); only meaningful on
    /// `s.whatsapp.net`, and never 1, 128 or 129, which are the domains of `lid`, `hosted` and
    /// `hosted.lid` (the encoder refuses those combinations).
    #[must_use]
    pub fn with_agent(mut self, agent: u8) -> Jid {
        self.agent = agent;
        self
    }

    /// The borrowed view of this JID.
    pub fn as_ref(&self) -> JidRef<'_> {
        JidRef {
            user: &self.user,
            server: self.server,
            agent: self.agent,
            device: self.device,
            integrator: self.integrator,
        }
    }

    /// The user part (phone number, LID, group id, …); empty for a bare server JID.
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The server.
    pub fn server_kind(&self) -> Server {
        self.server
    }
    /// The device number; 0 is the primary phone (and every JID without a device).
    pub fn device(&self) -> u16 {
        self.device
    }
    /// The raw AD agent (0 unless the JID came from an AD_JID with a non-standard domain byte).
    pub fn agent(&self) -> u8 {
        self.agent
    }
    /// The interop integrator id (0 except on `interop`).
    pub fn integrator(&self) -> u16 {
        self.integrator
    }

    /// The same JID without agent and device: the account rather than one of its devices.
    #[must_use]
    pub fn to_non_ad(&self) -> Jid {
        Jid {
            user: self.user.clone(),
            server: self.server,
            agent: 0,
            device: 0,
            integrator: self.integrator,
        }
    }

    /// Whether this JID names one device (device or agent set).
    pub fn is_ad(&self) -> bool {
        self.as_ref().is_ad()
    }
    /// Whether this is a bare server JID (empty user).
    pub fn is_bare_server(&self) -> bool {
        self.user.is_empty()
    }
    /// Whether this is a group JID.
    pub fn is_group(&self) -> bool {
        self.server == Server::Group
    }
    /// Whether this is a person's account or device on the phone-number or LID side (including hosted).
    pub fn is_user(&self) -> bool {
        self.as_ref().is_user()
    }

    /// The Signal protocol address of this device: user plus `_1`/`_128`/`_129` for LID/hosted/hosted
    /// LID, device id = device number.
    pub fn signal_address(&self) -> SignalAddress {
        self.as_ref().signal_address()
    }
}

impl<'a> JidRef<'a> {
    /// A borrowed JID with this user on this server, device 0.
    pub const fn new(user: &'a str, server: Server) -> JidRef<'a> {
        JidRef {
            user,
            server,
            agent: 0,
            device: 0,
            integrator: 0,
        }
    }

    /// Parses any text form listed in the [module docs](self), borrowing the user from `text`.
    pub fn parse(text: &'a str) -> Result<JidRef<'a>> {
        text::parse(text)
    }

    /// The owned JID.
    pub fn to_owned(&self) -> Jid {
        Jid {
            user: shared_user(self.user),
            server: self.server,
            agent: self.agent,
            device: self.device,
            integrator: self.integrator,
        }
    }

    /// The user part; empty for a bare server JID.
    pub fn user(&self) -> &'a str {
        self.user
    }
    /// The server.
    pub fn server_kind(&self) -> Server {
        self.server
    }
    /// The device number (0 = primary phone / no device).
    pub fn device(&self) -> u16 {
        self.device
    }
    /// The raw AD agent.
    pub fn agent(&self) -> u8 {
        self.agent
    }
    /// The interop integrator id.
    pub fn integrator(&self) -> u16 {
        self.integrator
    }

    /// The same JID without agent and device.
    pub fn to_non_ad(&self) -> JidRef<'a> {
        JidRef {
            agent: 0,
            device: 0,
            ..*self
        }
    }
    /// Whether this JID names one device (device or agent set).
    pub fn is_ad(&self) -> bool {
        self.device != 0 || self.agent != 0
    }
    /// Whether this is a person's account or device on the phone-number or LID side (including hosted).
    pub fn is_user(&self) -> bool {
        !self.user.is_empty() && self.server.ad_domain().is_some()
    }

    /// The AD domain number of this JID: the server's (0, 1, 128, 129) where it has one, else the raw
    /// agent. It is the Signal address suffix.
    pub fn domain(&self) -> u8 {
        match self.server {
            // A raw agent on s.whatsapp.net travels in the AD_JID domain byte, so it is the domain.
            Server::Whatsapp => self.agent,
            other => other.ad_domain().unwrap_or(self.agent),
        }
    }

    /// The Signal protocol address of this device.
    pub fn signal_address(&self) -> SignalAddress {
        SignalAddress::for_jid(*self)
    }
}

impl std::fmt::Display for Jid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_ref().fmt(f)
    }
}

impl std::fmt::Debug for Jid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_ref().fmt(f)
    }
}

impl std::fmt::Debug for JidRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Jid({self})")
    }
}

impl std::str::FromStr for Jid {
    type Err = crate::Error;
    fn from_str(text: &str) -> Result<Jid> {
        Jid::parse(text)
    }
}

impl<'a> From<JidRef<'a>> for Jid {
    fn from(jid: JidRef<'a>) -> Jid {
        jid.to_owned()
    }
}

impl PartialEq<JidRef<'_>> for Jid {
    fn eq(&self, other: &JidRef<'_>) -> bool {
        self.as_ref() == *other
    }
}

impl PartialEq<Jid> for JidRef<'_> {
    fn eq(&self, other: &Jid) -> bool {
        *self == other.as_ref()
    }
}

#[cfg(test)]
mod tests;
