//! How the companion presents itself: the operating-system name and browser kind shown on the phone's
//! "Linked devices" screen, and the numbers each place on the wire uses for them.

use std::fmt;

use wasndr_proto::companion_reg::device_props::PlatformType;

/// The browser (or app) kind a companion claims to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Browser {
    /// Google Chrome.
    Chrome,
    /// Microsoft Edge.
    Edge,
    /// Mozilla Firefox.
    Firefox,
    /// Internet Explorer.
    Ie,
    /// Opera.
    Opera,
    /// Safari.
    Safari,
    /// The WhatsApp desktop app (Electron, or UWP on Windows).
    Desktop,
}

impl Browser {
    /// The name Baileys uses in its browser tuple, which is also what the phone shows.
    pub const fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "Chrome",
            Browser::Edge => "Edge",
            Browser::Firefox => "Firefox",
            Browser::Ie => "IE",
            Browser::Opera => "Opera",
            Browser::Safari => "Safari",
            Browser::Desktop => "Desktop",
        }
    }

    /// Parses [`Browser::name`] (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Browser::Chrome,
            Browser::Edge,
            Browser::Firefox,
            Browser::Ie,
            Browser::Opera,
            Browser::Safari,
            Browser::Desktop,
        ]
        .into_iter()
        .find(|browser| browser.name().eq_ignore_ascii_case(name))
    }
}

/// The operating-system name and browser kind a companion registers with.
///
/// The OS name is free text (DeviceProps `os`); the phone shows it beside the browser kind, e.g.
/// "Chrome (wasndr)".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompanionPlatform {
    /// Operating-system name shown on the phone. `"Mac OS"` and `"Windows"` also select the desktop
    /// sub-platform when full history sync is asked for (as Baileys does).
    pub os: String,
    /// Browser kind.
    pub browser: Browser,
}

impl CompanionPlatform {
    /// A platform with this OS name and browser kind.
    pub fn new(os: impl Into<String>, browser: Browser) -> Self {
        Self {
            os: os.into(),
            browser,
        }
    }

    /// `DeviceProps.platformType` (companion_reg.proto): the browser's own value, DESKTOP for the app.
    pub fn platform_type(&self) -> PlatformType {
        match self.browser {
            Browser::Chrome => PlatformType::Chrome,
            Browser::Edge => PlatformType::Edge,
            Browser::Firefox => PlatformType::Firefox,
            Browser::Ie => PlatformType::Ie,
            Browser::Opera => PlatformType::Opera,
            Browser::Safari => PlatformType::Safari,
            Browser::Desktop => PlatformType::Desktop,
        }
    }

    /// The companion web-client type: the last field of the QR string and `companion_platform_id` in
    /// link-code pairing (transport guide D.1, D.6). Numbers as in Baileys'
    /// `CompanionWebClientType`; the desktop app is UWP (8) on Windows and Electron (7) elsewhere.
    pub fn web_client_type(&self) -> u8 {
        match self.browser {
            Browser::Chrome => 1,
            Browser::Edge => 2,
            Browser::Firefox => 3,
            Browser::Ie => 4,
            Browser::Opera => 5,
            Browser::Safari => 6,
            Browser::Desktop if self.os == "Windows" => 8,
            Browser::Desktop => 7,
        }
    }

    /// `"Browser (OS)"`: the `companion_platform_display` of link-code pairing.
    pub fn display_name(&self) -> String {
        self.to_string()
    }
}

impl Default for CompanionPlatform {
    /// Chrome on "wasndr": the phone lists the device as "Chrome (wasndr)".
    fn default() -> Self {
        Self::new("wasndr", Browser::Chrome)
    }
}

impl fmt::Display for CompanionPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.browser.name(), self.os)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_numbers_follow_baileys() {
        let chrome = CompanionPlatform::new("Mac OS", Browser::Chrome);
        assert_eq!(chrome.platform_type(), PlatformType::Chrome);
        assert_eq!(chrome.web_client_type(), 1);
        assert_eq!(chrome.display_name(), "Chrome (Mac OS)");
        assert_eq!(
            CompanionPlatform::new("Windows", Browser::Desktop).web_client_type(),
            8
        );
        assert_eq!(
            CompanionPlatform::new("Mac OS", Browser::Desktop).web_client_type(),
            7
        );
        assert_eq!(
            CompanionPlatform::new("Mac OS", Browser::Desktop).platform_type(),
            PlatformType::Desktop
        );
        assert_eq!(Browser::from_name("safari"), Some(Browser::Safari));
        assert_eq!(Browser::from_name("Netscape"), None);
    }
}
