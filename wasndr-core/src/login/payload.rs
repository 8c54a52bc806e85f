//! Building the `ClientPayload` a companion sends in the Noise ClientFinish (transport guide A.7): the
//! registration form for a new device and the login form for a paired one, field by field as Baileys
//! 7.0.0-rc14 sends them (checked byte for byte against `testdata/vectors/client-payload.json`).

use wasndr_proto::Message as _;
use wasndr_proto::client_payload::ClientPayload;
use wasndr_proto::client_payload::client_payload::{
    ConnectReason, ConnectType, DevicePairingRegistrationData, UserAgent, WebInfo, user_agent, web_info,
};
use wasndr_proto::companion_reg::DeviceProps;
use wasndr_proto::companion_reg::device_props::{AppVersion as PropsVersion, HistorySyncConfig};

use super::platform::CompanionPlatform;
use super::version::WaVersion;
use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::jid::Jid;

/// The key type byte in front of Curve25519 keys (`eKeytype`).
pub const KEY_TYPE_DJB: u8 = 0x05;

/// What a companion says about itself in every payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadConfig {
    /// The WhatsApp Web version claimed.
    pub version: WaVersion,
    /// OS name and browser kind shown on the phone.
    pub platform: CompanionPlatform,
    /// ISO 3166-1 alpha-2 country (`UserAgent.localeCountryIso31661Alpha2`), `"US"` by default.
    pub country: String,
    /// ISO 639-1 language (`UserAgent.localeLanguageIso6391`), `"en"` by default.
    pub language: String,
    /// The push name, sent as `pushName` when set.
    pub push_name: Option<String>,
    /// Ask the phone for the full history after pairing (`DeviceProps.requireFullSync`).
    pub full_history_sync: bool,
}

impl Default for PayloadConfig {
    fn default() -> Self {
        Self {
            version: WaVersion::CURRENT,
            platform: CompanionPlatform::default(),
            country: "US".to_owned(),
            language: "en".to_owned(),
            push_name: None,
            full_history_sync: false,
        }
    }
}

/// The Signal material a new companion registers with (`DevicePairingRegistrationData`).
#[derive(Clone, Copy, Debug)]
pub struct RegistrationKeys<'a> {
    /// Signal registration id (sent as 4 bytes big-endian).
    pub registration_id: u32,
    /// Signal identity public key.
    pub identity: &'a PublicKey,
    /// Signed-prekey id (sent as 3 bytes big-endian).
    pub signed_prekey_id: u32,
    /// Signed-prekey public key.
    pub signed_prekey: &'a PublicKey,
    /// The identity key's signature over `05 ‖ signed prekey`.
    pub signed_prekey_signature: &'a [u8; 64],
}

impl PayloadConfig {
    /// The payload asking the server to start pairing a new companion.
    pub fn registration_payload(&self, keys: &RegistrationKeys<'_>) -> ClientPayload {
        let pairing = DevicePairingRegistrationData {
            e_regid: Some(keys.registration_id.to_be_bytes().to_vec()),
            e_keytype: Some(vec![KEY_TYPE_DJB]),
            e_ident: Some(keys.identity.as_bytes().to_vec()),
            e_skey_id: Some(keys.signed_prekey_id.to_be_bytes()[1..].to_vec()),
            e_skey_val: Some(keys.signed_prekey.as_bytes().to_vec()),
            e_skey_sig: Some(keys.signed_prekey_signature.to_vec()),
            build_hash: Some(self.version.build_hash().to_vec()),
            device_props: Some(self.device_props().encode_to_vec()),
        };
        ClientPayload {
            passive: Some(false),
            device_pairing_data: Some(pairing),
            pull: Some(false),
            ..self.common()
        }
    }

    /// The payload logging in the paired companion `device_jid` (`user:N@s.whatsapp.net`).
    pub fn login_payload(&self, device_jid: &Jid) -> Result<ClientPayload> {
        let username = device_jid
            .user()
            .parse::<u64>()
            .map_err(|_| Error::InvalidArgument("a login JID's user must be a phone number"))?;
        Ok(ClientPayload {
            username: Some(username),
            // Log in passive and flip to active once prekeys are in place (transport guide E.2).
            passive: Some(true),
            device: Some(u32::from(device_jid.device())),
            pull: Some(true),
            lid_db_migrated: Some(false),
            ..self.common()
        })
    }

    /// The fields registration and login share.
    fn common(&self) -> ClientPayload {
        ClientPayload {
            user_agent: Some(self.user_agent()),
            web_info: Some(WebInfo {
                web_sub_platform: Some(self.web_sub_platform() as i32),
                ..Default::default()
            }),
            push_name: self.push_name.clone(),
            connect_type: Some(ConnectType::WifiUnknown as i32),
            connect_reason: Some(ConnectReason::UserActivated as i32),
            ..Default::default()
        }
    }

    fn user_agent(&self) -> UserAgent {
        UserAgent {
            platform: Some(user_agent::Platform::Web as i32),
            app_version: Some(user_agent::AppVersion {
                primary: Some(self.version.primary),
                secondary: Some(self.version.secondary),
                tertiary: Some(self.version.tertiary),
                ..Default::default()
            }),
            mcc: Some("000".to_owned()),
            mnc: Some("000".to_owned()),
            os_version: Some("0.1".to_owned()),
            device: Some("Desktop".to_owned()),
            os_build_number: Some("0.1".to_owned()),
            release_channel: Some(user_agent::ReleaseChannel::Release as i32),
            locale_language_iso6391: Some(self.language.clone()),
            locale_country_iso31661_alpha2: Some(self.country.clone()),
            ..Default::default()
        }
    }

    /// WEB_BROWSER, except that a full-history companion on macOS or Windows poses as the desktop app
    /// (Baileys does this so the phone sends the larger desktop history).
    fn web_sub_platform(&self) -> web_info::WebSubPlatform {
        match (self.full_history_sync, self.platform.os.as_str()) {
            (true, "Mac OS") => web_info::WebSubPlatform::Darwin,
            (true, "Windows") => web_info::WebSubPlatform::Win32,
            _ => web_info::WebSubPlatform::WebBrowser,
        }
    }

    /// `DeviceProps` with Baileys' history-sync capabilities.
    pub fn device_props(&self) -> DeviceProps {
        DeviceProps {
            os: Some(self.platform.os.clone()),
            version: Some(PropsVersion {
                primary: Some(10),
                secondary: Some(15),
                tertiary: Some(7),
                ..Default::default()
            }),
            platform_type: Some(self.platform.platform_type() as i32),
            require_full_sync: Some(self.full_history_sync),
            history_sync_config: Some(HistorySyncConfig {
                storage_quota_mb: Some(10240),
                inline_initial_payload_in_e2ee_msg: Some(true),
                support_call_log_history: Some(false),
                support_bot_user_agent_chat_history: Some(true),
                support_cag_reactions_and_polls: Some(true),
                support_biz_hosted_msg: Some(true),
                support_recent_sync_chunk_message_count_tuning: Some(true),
                support_hosted_group_msg: Some(true),
                support_fbid_bot_chat_history: Some(true),
                support_message_association: Some(true),
                support_group_history: Some(false),
                ..Default::default()
            }),
        }
    }
}
