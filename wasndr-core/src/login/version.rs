//! The WhatsApp Web version a client claims to be (transport guide A.7): sent as `UserAgent.appVersion`
//! and, MD5-hashed in its dotted form, as `DevicePairingRegistrationData.buildHash`.

use std::fmt;

use md5::{Digest, Md5};

/// A WhatsApp Web version `primary.secondary.tertiary`, e.g. `2.3000.1045649367`.
///
/// The server refuses versions it considers too old (`<failure reason=405/>`), so the value must follow
/// WhatsApp Web releases; [`WaVersion::CURRENT`] is the newest one the project has checked, and every
/// client configuration can override it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WaVersion {
    /// Always 2 for WhatsApp Web.
    pub primary: u32,
    /// Always 3000 for the current web client line.
    pub secondary: u32,
    /// The build number, which changes with every release.
    pub tertiary: u32,
}

impl WaVersion {
    /// `2.3000.1045649367`: whatsmeow's `store.DefaultWAVersion` at commit `33cfac51` (2026-08-21), the
    /// newest of the two reference libraries (Baileys 7.0.0-rc13/rc14 ship older builds).
    pub const CURRENT: WaVersion = WaVersion::new(2, 3000, 1_045_649_367);

    /// A version from its three parts.
    pub const fn new(primary: u32, secondary: u32, tertiary: u32) -> Self {
        Self {
            primary,
            secondary,
            tertiary,
        }
    }

    /// MD5 of the dotted version string: the registration payload's `buildHash`.
    pub fn build_hash(&self) -> [u8; 16] {
        Md5::digest(self.to_string().as_bytes()).into()
    }

    /// Parses `"2.3000.1045649367"`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.').map(|part| part.parse::<u32>().ok());
        let version = Self::new(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(version)
    }
}

impl Default for WaVersion {
    /// [`WaVersion::CURRENT`].
    fn default() -> Self {
        Self::CURRENT
    }
}

impl fmt::Display for WaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.primary, self.secondary, self.tertiary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_hash_is_md5_of_the_dotted_string() {
        // The guide's worked example (A.7).
        assert_eq!(
            hex::encode(WaVersion::new(2, 3000, 1_045_649_367).build_hash()),
            "9fa53af9421567b114e33c9bb1ef7db2"
        );
    }

    #[test]
    fn parse_round_trips_and_rejects_junk() {
        assert_eq!(WaVersion::parse("2.3000.1045649367"), Some(WaVersion::CURRENT));
        assert_eq!(WaVersion::CURRENT.to_string(), "2.3000.1045649367");
        for bad in ["", "2.3000", "2.3000.x", "2.3000.1.4", "2..3"] {
            assert_eq!(WaVersion::parse(bad), None, "{bad}");
        }
    }
}
