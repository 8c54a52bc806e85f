//! `ClientPayload` and `DeviceProps` against Baileys' registration and login payloads in
//! `testdata/vectors/client-payload.json`: built from the JSON description, encoded and compared byte
//! for byte; decoded back and re-encoded to the same bytes.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod support;

use prost::Message as _;
use support::{Fields, load_vectors, unhex};
use wasndr_proto::client_payload::ClientPayload;
use wasndr_proto::client_payload::client_payload::{
    ConnectReason, ConnectType, DevicePairingRegistrationData, UserAgent, WebInfo, user_agent, web_info,
};
use wasndr_proto::companion_reg::DeviceProps;
use wasndr_proto::companion_reg::device_props;

fn client_payload(f: &Fields<'_>) -> ClientPayload {
    ClientPayload {
        username: f.u64("username"),
        passive: f.bool("passive"),
        user_agent: f.object("userAgent").map(|o| user_agent(&o)),
        web_info: f.object("webInfo").map(|o| web_info(&o)),
        push_name: f.string("pushName"),
        connect_type: f.enumeration("connectType", |n| ConnectType::from_str_name(n).map(i32::from)),
        connect_reason: f.enumeration("connectReason", |n| {
            ConnectReason::from_str_name(n).map(i32::from)
        }),
        device: f.u32("device"),
        device_pairing_data: f.object("devicePairingData").map(|o| device_pairing_data(&o)),
        pull: f.bool("pull"),
        lid_db_migrated: f.bool("lidDbMigrated"),
        ..Default::default()
    }
}

fn user_agent(f: &Fields<'_>) -> UserAgent {
    UserAgent {
        platform: f.enumeration("platform", |n| {
            user_agent::Platform::from_str_name(n).map(i32::from)
        }),
        app_version: f.object("appVersion").map(|o| user_agent::AppVersion {
            primary: o.u32("primary"),
            secondary: o.u32("secondary"),
            tertiary: o.u32("tertiary"),
            quaternary: o.u32("quaternary"),
            quinary: o.u32("quinary"),
        }),
        mcc: f.string("mcc"),
        mnc: f.string("mnc"),
        os_version: f.string("osVersion"),
        manufacturer: f.string("manufacturer"),
        device: f.string("device"),
        os_build_number: f.string("osBuildNumber"),
        release_channel: f.enumeration("releaseChannel", |n| {
            user_agent::ReleaseChannel::from_str_name(n).map(i32::from)
        }),
        locale_language_iso6391: f.string("localeLanguageIso6391"),
        locale_country_iso31661_alpha2: f.string("localeCountryIso31661Alpha2"),
        ..Default::default()
    }
}

fn web_info(f: &Fields<'_>) -> WebInfo {
    WebInfo {
        web_sub_platform: f.enumeration("webSubPlatform", |n| {
            web_info::WebSubPlatform::from_str_name(n).map(i32::from)
        }),
        ..Default::default()
    }
}

fn device_pairing_data(f: &Fields<'_>) -> DevicePairingRegistrationData {
    DevicePairingRegistrationData {
        e_regid: f.bytes("eRegid"),
        e_keytype: f.bytes("eKeytype"),
        e_ident: f.bytes("eIdent"),
        e_skey_id: f.bytes("eSkeyId"),
        e_skey_val: f.bytes("eSkeyVal"),
        e_skey_sig: f.bytes("eSkeySig"),
        build_hash: f.bytes("buildHash"),
        device_props: f.bytes("deviceProps"),
    }
}

fn device_props(f: &Fields<'_>) -> DeviceProps {
    DeviceProps {
        os: f.string("os"),
        version: f.object("version").map(|o| device_props::AppVersion {
            primary: o.u32("primary"),
            secondary: o.u32("secondary"),
            tertiary: o.u32("tertiary"),
            quaternary: o.u32("quaternary"),
            quinary: o.u32("quinary"),
        }),
        platform_type: f.enumeration("platformType", |n| {
            device_props::PlatformType::from_str_name(n).map(i32::from)
        }),
        require_full_sync: f.bool("requireFullSync"),
        history_sync_config: f.object("historySyncConfig").map(|o| history_sync_config(&o)),
    }
}

fn history_sync_config(f: &Fields<'_>) -> device_props::HistorySyncConfig {
    device_props::HistorySyncConfig {
        storage_quota_mb: f.u32("storageQuotaMb"),
        inline_initial_payload_in_e2ee_msg: f.bool("inlineInitialPayloadInE2EeMsg"),
        support_call_log_history: f.bool("supportCallLogHistory"),
        support_bot_user_agent_chat_history: f.bool("supportBotUserAgentChatHistory"),
        support_cag_reactions_and_polls: f.bool("supportCagReactionsAndPolls"),
        support_biz_hosted_msg: f.bool("supportBizHostedMsg"),
        support_recent_sync_chunk_message_count_tuning: f.bool("supportRecentSyncChunkMessageCountTuning"),
        support_hosted_group_msg: f.bool("supportHostedGroupMsg"),
        support_fbid_bot_chat_history: f.bool("supportFbidBotChatHistory"),
        support_message_association: f.bool("supportMessageAssociation"),
        support_group_history: f.bool("supportGroupHistory"),
        ..Default::default()
    }
}

#[test]
fn baileys_client_payloads_match() {
    let vectors = load_vectors("client-payload.json");
    let cases = vectors["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let wire = unhex(case["client_payload_hex"].as_str().unwrap());
        let built = client_payload(&Fields::new(
            format!("{name}.client_payload"),
            &case["client_payload"],
        ));
        assert_eq!(hex::encode(built.encode_to_vec()), hex::encode(&wire), "{name}");

        let decoded = ClientPayload::decode(wire.as_slice()).unwrap();
        assert_eq!(decoded, built, "{name}");
        assert_eq!(decoded.encode_to_vec(), wire, "{name}");

        // Registration payloads carry a serialized DeviceProps; login payloads carry none.
        match case.get("device_props") {
            Some(description) => {
                let props_wire = unhex(case["device_props_hex"].as_str().unwrap());
                let pairing = decoded.device_pairing_data.as_ref().unwrap();
                assert_eq!(pairing.device_props.as_ref(), Some(&props_wire), "{name}");
                let props = device_props(&Fields::new(format!("{name}.device_props"), description));
                assert_eq!(
                    hex::encode(props.encode_to_vec()),
                    hex::encode(&props_wire),
                    "{name}"
                );
                assert_eq!(
                    DeviceProps::decode(props_wire.as_slice()).unwrap(),
                    props,
                    "{name}"
                );
                assert!(decoded.username.is_none(), "{name}");
            }
            None => {
                assert!(decoded.device_pairing_data.is_none(), "{name}");
                assert!(decoded.username.is_some() && decoded.device.is_some(), "{name}");
            }
        }
    }
}

#[test]
fn login_payload_fields() {
    let vectors = load_vectors("client-payload.json");
    let case = vectors["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "login_with_push_name")
        .unwrap();
    let payload =
        ClientPayload::decode(unhex(case["client_payload_hex"].as_str().unwrap()).as_slice()).unwrap();
    assert_eq!(payload.username, Some(15_551_234_567));
    assert_eq!(payload.device, Some(12));
    assert_eq!(payload.passive, Some(true));
    assert_eq!(payload.pull, Some(true));
    assert_eq!(payload.lid_db_migrated, Some(false));
    assert_eq!(payload.push_name.as_deref(), Some("Vector Bot"));
    let agent = payload.user_agent.unwrap();
    assert_eq!(agent.platform, Some(user_agent::Platform::Web as i32));
    assert_eq!(
        agent.release_channel,
        Some(user_agent::ReleaseChannel::Release as i32)
    );
}
