//! The closed set of JID servers (the part after `@`).

/// A JID server. Closed on purpose: a JID is then cheap to copy and compare, and an unknown server in a
/// peer's stanza is noticed instead of silently routed. (The binary decoder keeps a JID with an unknown
/// server as plain text rather than failing the stanza.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Server {
    /// `s.whatsapp.net`: phone-number ("PN") users; with an empty user, the WhatsApp server itself.
    Whatsapp,
    /// `c.us`: the legacy user server (message-ID hashing, some official accounts).
    LegacyUser,
    /// `g.us`: groups.
    Group,
    /// `broadcast`: `status@broadcast` and broadcast lists.
    Broadcast,
    /// `lid`: LID ("hidden user") identities.
    Lid,
    /// `newsletter`: channels.
    Newsletter,
    /// `hosted`: devices hosted by Meta (Cloud API businesses); AD domain 128.
    Hosted,
    /// `hosted.lid`: hosted devices under their LID; AD domain 129.
    HostedLid,
    /// `msgr`: Messenger users (FB_JID on the wire).
    Messenger,
    /// `interop`: third-party interop users (INTEROP_JID on the wire).
    Interop,
    /// `bot`: Meta AI bots.
    Bot,
}

impl Server {
    /// Every server, in declaration order.
    pub const ALL: [Server; 11] = [
        Server::Whatsapp,
        Server::LegacyUser,
        Server::Group,
        Server::Broadcast,
        Server::Lid,
        Server::Newsletter,
        Server::Hosted,
        Server::HostedLid,
        Server::Messenger,
        Server::Interop,
        Server::Bot,
    ];

    /// The server's name as written after `@`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Server::Whatsapp => "s.whatsapp.net",
            Server::LegacyUser => "c.us",
            Server::Group => "g.us",
            Server::Broadcast => "broadcast",
            Server::Lid => "lid",
            Server::Newsletter => "newsletter",
            Server::Hosted => "hosted",
            Server::HostedLid => "hosted.lid",
            Server::Messenger => "msgr",
            Server::Interop => "interop",
            Server::Bot => "bot",
        }
    }

    /// The server with this name, if it is one of ours.
    pub fn from_name(name: &str) -> Option<Server> {
        Some(match name {
            "s.whatsapp.net" => Server::Whatsapp,
            "c.us" => Server::LegacyUser,
            "g.us" => Server::Group,
            "broadcast" => Server::Broadcast,
            "lid" => Server::Lid,
            "newsletter" => Server::Newsletter,
            "hosted" => Server::Hosted,
            "hosted.lid" => Server::HostedLid,
            "msgr" => Server::Messenger,
            "interop" => Server::Interop,
            "bot" => Server::Bot,
            _ => return None,
        })
    }

    /// The AD_JID domain byte that implies this server (0, 1, 128, 129), for the four servers that have
    /// one. The same number is the Signal address suffix (`_1`, `_128`, `_129`; none for 0).
    pub const fn ad_domain(self) -> Option<u8> {
        match self {
            Server::Whatsapp => Some(0),
            Server::Lid => Some(1),
            Server::Hosted => Some(128),
            Server::HostedLid => Some(129),
            _ => None,
        }
    }

    /// The server an AD_JID domain byte stands for; `None` for the other values, which whatsmeow keeps as
    /// a raw agent on `s.whatsapp.net`.
    pub const fn from_ad_domain(domain: u8) -> Option<Server> {
        match domain {
            0 => Some(Server::Whatsapp),
            1 => Some(Server::Lid),
            128 => Some(Server::Hosted),
            129 => Some(Server::HostedLid),
            _ => None,
        }
    }

    /// Whether JIDs on this server address devices (`user:device@server`). Groups, broadcasts,
    /// newsletters, bots and legacy `c.us` users have no devices.
    pub const fn has_devices(self) -> bool {
        matches!(
            self,
            Server::Whatsapp
                | Server::Lid
                | Server::Hosted
                | Server::HostedLid
                | Server::Messenger
                | Server::Interop
        )
    }
}

impl std::fmt::Display for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
