use proptest::prelude::*;

use super::*;
use crate::Error;

fn parse(text: &str) -> Jid {
    Jid::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn every_guide_form_parses_and_prints_back() {
    // (text, user, server, device, agent, integrator)
    let forms = [
        (
            "15551234567@s.whatsapp.net",
            "15551234567",
            Server::Whatsapp,
            0,
            0,
            0,
        ),
        (
            "15551234567:3@s.whatsapp.net",
            "15551234567",
            Server::Whatsapp,
            3,
            0,
            0,
        ),
        ("123456789012345@lid", "123456789012345", Server::Lid, 0, 0, 0),
        ("123456789012345:3@lid", "123456789012345", Server::Lid, 3, 0, 0),
        (
            "120363025246125888@g.us",
            "120363025246125888",
            Server::Group,
            0,
            0,
            0,
        ),
        (
            "15551234567-1600000000@g.us",
            "15551234567-1600000000",
            Server::Group,
            0,
            0,
            0,
        ),
        ("status@broadcast", "status", Server::Broadcast, 0, 0, 0),
        ("1234567890@broadcast", "1234567890", Server::Broadcast, 0, 0, 0),
        (
            "120363144038483540@newsletter",
            "120363144038483540",
            Server::Newsletter,
            0,
            0,
            0,
        ),
        ("15551234567:99@hosted", "15551234567", Server::Hosted, 99, 0, 0),
        (
            "123456789012345:99@hosted.lid",
            "123456789012345",
            Server::HostedLid,
            99,
            0,
            0,
        ),
        ("1234:7@msgr", "1234", Server::Messenger, 7, 0, 0),
        ("5-1234:2@interop", "1234", Server::Interop, 2, 0, 5),
        ("867051314767696@bot", "867051314767696", Server::Bot, 0, 0, 0),
        ("0@c.us", "0", Server::LegacyUser, 0, 0, 0),
        (
            "15551234567.7:3@s.whatsapp.net",
            "15551234567",
            Server::Whatsapp,
            3,
            7,
            0,
        ),
        ("user.name@s.whatsapp.net", "user.name", Server::Whatsapp, 0, 0, 0),
        ("@s.whatsapp.net", "", Server::Whatsapp, 0, 0, 0),
        ("@g.us", "", Server::Group, 0, 0, 0),
    ];
    for (text, user, server, device, agent, integrator) in forms {
        let jid = parse(text);
        assert_eq!(
            (
                jid.user(),
                jid.server_kind(),
                jid.device(),
                jid.agent(),
                jid.integrator()
            ),
            (user, server, device, agent, integrator),
            "{text}"
        );
        assert_eq!(jid.to_string(), text);
        assert_eq!(parse(&jid.to_string()), jid);
    }
}

#[test]
fn alternative_spellings_normalise() {
    // whatsmeow writes bare servers without '@'.
    assert_eq!(parse("s.whatsapp.net"), Jid::server());
    assert_eq!(parse("g.us"), Jid::group_server());
    assert_eq!(Jid::server().to_string(), "@s.whatsapp.net");
    // Baileys' '_agent' form; the AD domain of the server itself says nothing more.
    assert_eq!(
        parse("15551234567_0:5@s.whatsapp.net"),
        Jid::pn("15551234567").with_device(5)
    );
    assert_eq!(parse("123_1:5@lid"), Jid::lid("123").with_device(5));
    assert_eq!(
        parse("15551234567_7:3@s.whatsapp.net"),
        parse("15551234567.7:3@s.whatsapp.net")
    );
    // An explicit ':0' is device 0.
    assert_eq!(parse("15551234567:0@s.whatsapp.net"), Jid::pn("15551234567"));
    assert_eq!(parse("1234@interop"), Jid::interop("1234", 0, 0));
}

#[test]
fn malformed_text_is_refused_with_a_reason() {
    let cases = [
        ("15551234567@example.com", "unknown server"),
        ("status", "unknown server"),
        ("a@b@s.whatsapp.net", "more than one '@'"),
        ("15551234567:x@s.whatsapp.net", "device is not a number 0-65535"),
        (
            "15551234567:65536@s.whatsapp.net",
            "device is not a number 0-65535",
        ),
        ("15551234567:1:2@s.whatsapp.net", "device is not a number 0-65535"),
        ("15551234567:-1@s.whatsapp.net", "device is not a number 0-65535"),
        ("15551234567.256@s.whatsapp.net", "agent is not a number 0-255"),
        (":3@s.whatsapp.net", "device or agent without a user"),
        ("120363025246125888:2@g.us", "this server's JIDs have no devices"),
        (
            "15551234567_1:5@s.whatsapp.net",
            "agents 1, 128 and 129 are the lid/hosted/hosted.lid domains; use that server",
        ),
        ("123_7:5@lid", "only s.whatsapp.net JIDs carry a raw agent"),
        ("x-1234@interop", "interop integrator is not a number 0-65535"),
    ];
    for (text, problem) in cases {
        assert_eq!(Jid::parse(text), Err(Error::InvalidJid(problem)), "{text}");
    }
}

#[test]
fn constructors_and_helpers() {
    let device = Jid::pn("15551234567").with_device(4);
    assert!(device.is_ad() && device.is_user() && !device.is_group());
    assert_eq!(device.to_non_ad(), Jid::pn("15551234567"));
    assert_eq!(Jid::lid("1").to_string(), "1@lid");
    assert_eq!(Jid::group("1").to_string(), "1@g.us");
    assert_eq!(Jid::newsletter("1").to_string(), "1@newsletter");
    assert_eq!(Jid::status_broadcast().to_string(), "status@broadcast");
    assert_eq!(Jid::messenger("1234", 7).to_string(), "1234:7@msgr");
    assert_eq!(Jid::interop("1234", 2, 5).to_string(), "5-1234:2@interop");
    assert_eq!(Jid::interop("1234", 2, 5).to_non_ad().integrator(), 5);
    assert!(Jid::server().is_bare_server() && !Jid::server().is_user());
    let borrowed = JidRef::parse("15551234567:4@s.whatsapp.net").unwrap();
    assert_eq!(borrowed, device);
    assert_eq!(borrowed.to_owned(), device);
    // Clones share the user string.
    let clone = device.clone();
    assert!(std::ptr::eq(clone.user(), device.user()));
}

#[test]
fn signal_addresses_carry_the_domain_suffix() {
    let cases = [
        ("15551234567@s.whatsapp.net", "15551234567", 0),
        ("15551234567:3@s.whatsapp.net", "15551234567", 3),
        ("123456789012345:3@lid", "123456789012345_1", 3),
        ("15551234567:99@hosted", "15551234567_128", 99),
        ("123456789012345:99@hosted.lid", "123456789012345_129", 99),
        // Baileys appends a raw agent as the domain too (whatsmeow ignores agents on s.whatsapp.net).
        ("15551234567.7:3@s.whatsapp.net", "15551234567_7", 3),
    ];
    for (text, name, device_id) in cases {
        let address = parse(text).signal_address();
        assert_eq!((address.name(), address.device_id()), (name, device_id), "{text}");
    }
    assert_eq!(parse("123:3@lid").signal_address().to_string(), "123_1.3");
}

#[test]
fn phone_numbers_normalise() {
    for (input, digits) in [
        ("+1 (555) 123-4567", "15551234567"),
        ("15551234567", "15551234567"),
        ("  +44 20 7946 0000 ", "442079460000"),
        ("+49-30-1234567", "49301234567"),
        ("1234567", "1234567"),
        ("123456789012345", "123456789012345"),
    ] {
        assert_eq!(normalize_phone_number(input).as_deref(), Ok(digits), "{input}");
    }
    assert_eq!(
        Jid::from_phone_number("+1 555 123 4567").unwrap(),
        Jid::pn("15551234567")
    );
}

#[test]
fn phone_numbers_that_are_not_are_refused() {
    use PhoneNumberProblem::*;
    let cases = [
        ("", Empty),
        ("+ ( ) -", Empty),
        (
            "555-CALL-NOW",
            InvalidCharacter {
                character: 'C',
                position: 4,
            },
        ),
        (
            "+1 555.123.4567",
            InvalidCharacter {
                character: '.',
                position: 6,
            },
        ),
        (
            "1+5551234567",
            InvalidCharacter {
                character: '+',
                position: 1,
            },
        ),
        (
            "++15551234567",
            InvalidCharacter {
                character: '+',
                position: 1,
            },
        ),
        (
            " x",
            InvalidCharacter {
                character: 'x',
                position: 1,
            },
        ),
        (
            "15551234567@s.whatsapp.net",
            InvalidCharacter {
                character: '@',
                position: 11,
            },
        ),
        ("020 7946 0000", MissingCountryCode),
        ("0044 20 7946 0000", MissingCountryCode),
        ("+123456", TooShort { digits: 6 }),
        ("1234567890123456", TooLong { digits: 16 }),
        (
            "١٢٣٤٥٦٧٨",
            InvalidCharacter {
                character: '١',
                position: 0,
            },
        ),
    ];
    for (input, problem) in cases {
        assert_eq!(
            normalize_phone_number(input),
            Err(Error::InvalidPhoneNumber(problem)),
            "{input}"
        );
    }
    let message = Error::InvalidPhoneNumber(MissingCountryCode).to_string();
    assert!(message.contains("country code"), "{message}");
}

fn user_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[1-9][0-9]{6,14}",
        "[1-9][0-9]{10}-[0-9]{10}",
        "[a-z][a-z0-9]{0,8}",
        "[a-z]{1,5}\\.[a-z]{1,5}",
    ]
}

fn any_jid() -> impl Strategy<Value = Jid> {
    let server = prop::sample::select(Server::ALL.to_vec());
    (user_text(), server, any::<u16>(), any::<u8>(), any::<u16>()).prop_map(
        |(user, server, device, agent, integrator)| {
            let mut jid = Jid::new(&user, server);
            if server.has_devices() {
                jid = jid.with_device(device);
            }
            if server == Server::Whatsapp && Server::from_ad_domain(agent).is_none() {
                jid = jid.with_agent(agent);
            }
            if server == Server::Interop {
                jid = Jid::interop(&user, jid.device(), integrator);
            }
            jid
        },
    )
}

proptest! {
    #[test]
    fn printed_jids_parse_back(jid in any_jid()) {
        let text = jid.to_string();
        prop_assert_eq!(Jid::parse(&text).unwrap(), jid);
    }

    #[test]
    fn parsing_never_panics(text in "\\PC{0,40}") {
        let _ = Jid::parse(&text);
    }
}
