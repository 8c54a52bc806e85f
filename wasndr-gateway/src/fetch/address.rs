//! Which addresses outbound requests may reach: public unicast only, unless the operator allowlists an
//! address (or network, or address and port). Applied to every resolved address before connecting.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use crate::error::GatewayError;

/// Why an address is refused (`None` when it is public).
pub fn refusal_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    const RULES: &[([u8; 4], u32, &str)] = &[
        ([0, 0, 0, 0], 8, "an unspecified (0.0.0.0/8) address"),
        ([127, 0, 0, 0], 8, "a loopback address"),
        ([10, 0, 0, 0], 8, "a private (10.0.0.0/8) address"),
        ([172, 16, 0, 0], 12, "a private (172.16.0.0/12) address"),
        ([192, 168, 0, 0], 16, "a private (192.168.0.0/16) address"),
        ([100, 64, 0, 0], 10, "a carrier-grade NAT (100.64.0.0/10) address"),
        (
            [169, 254, 0, 0],
            16,
            "a link-local or cloud metadata (169.254.0.0/16) address",
        ),
        (
            [192, 0, 0, 0],
            24,
            "an IETF protocol assignment (192.0.0.0/24) address",
        ),
        ([192, 0, 2, 0], 24, "a documentation address"),
        ([198, 51, 100, 0], 24, "a documentation address"),
        ([203, 0, 113, 0], 24, "a documentation address"),
        ([198, 18, 0, 0], 15, "a benchmarking (198.18.0.0/15) address"),
        ([224, 0, 0, 0], 4, "a multicast address"),
        ([240, 0, 0, 0], 4, "a reserved (240.0.0.0/4) or broadcast address"),
    ];
    RULES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, reason)| *reason)
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if ip.is_unspecified() {
        return Some("an unspecified (::) address");
    }
    if ip.is_loopback() {
        return Some("a loopback (::1) address");
    }
    // Addresses that embed an IPv4 address are judged by it: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d,
    // NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::.
    let embedded = match segments {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            Some(v4_from(hi, lo))
        }
        [0x2002, hi, lo, ..] => Some(v4_from(hi, lo)),
        _ => None,
    };
    if let Some(v4) = embedded {
        return v4_reason(v4);
    }
    match segments[0] {
        s if s & 0xfe00 == 0xfc00 => Some("a unique local (fc00::/7) address"),
        s if s & 0xffc0 == 0xfe80 => Some("a link-local (fe80::/10) address"),
        s if s & 0xffc0 == 0xfec0 => Some("a site-local (fec0::/10) address"),
        s if s & 0xff00 == 0xff00 => Some("a multicast address"),
        0x2001 if segments[1] == 0x0db8 => Some("a documentation address"),
        _ => None,
    }
}

fn v4_from(hi: u16, lo: u16) -> Ipv4Addr {
    Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo))
}

/// One operator allowlist entry: an address, a network (`10.1.0.0/16`), or an address with a port
/// (`127.0.0.1:8080`, `[::1]:8080`) which allows only that port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowEntry {
    /// Exactly this address and port.
    Socket(SocketAddr),
    /// Any port of addresses in this network.
    Network(IpAddr, u8),
}

impl AllowEntry {
    /// Whether `addr` is allowed by this entry.
    pub fn allows(&self, addr: SocketAddr) -> bool {
        match *self {
            AllowEntry::Socket(allowed) => {
                canonical(allowed.ip()) == canonical(addr.ip()) && allowed.port() == addr.port()
            }
            AllowEntry::Network(IpAddr::V4(net), prefix) => match canonical(addr.ip()) {
                IpAddr::V4(ip) => in_v4(ip, net.octets(), u32::from(prefix)),
                IpAddr::V6(_) => false,
            },
            AllowEntry::Network(IpAddr::V6(net), prefix) => match addr.ip() {
                IpAddr::V6(ip) => {
                    let mask = if prefix == 0 {
                        0
                    } else {
                        u128::MAX << (128 - u32::from(prefix))
                    };
                    u128::from(ip) & mask == u128::from(net) & mask
                }
                IpAddr::V4(_) => false,
            },
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

impl FromStr for AllowEntry {
    type Err = GatewayError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            GatewayError::invalid(
                "fetch.allow",
                format!("{text:?}: expected an address, a network like 10.0.0.0/8, or address:port"),
            )
        };
        let text = text.trim();
        if let Ok(socket) = SocketAddr::from_str(text) {
            return Ok(AllowEntry::Socket(socket));
        }
        if let Ok(ip) = IpAddr::from_str(text) {
            return Ok(AllowEntry::Network(ip, if ip.is_ipv4() { 32 } else { 128 }));
        }
        let (ip, prefix) = text.split_once('/').ok_or_else(bad)?;
        let ip = IpAddr::from_str(ip).map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        if prefix > if ip.is_ipv4() { 32 } else { 128 } {
            return Err(bad());
        }
        Ok(AllowEntry::Network(ip, prefix))
    }
}

/// Whether `addr` may be connected to under `allow`: public, or allowlisted.
pub fn check_address(addr: SocketAddr, allow: &[AllowEntry]) -> Result<(), String> {
    if allow.iter().any(|entry| entry.allows(addr)) {
        return Ok(());
    }
    match refusal_reason(addr.ip()) {
        None => Ok(()),
        Some(reason) => Err(format!("refused: {} is {reason}", addr.ip())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        refusal_reason(text.parse().unwrap()).is_some()
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:0101::1",
        ] {
            assert!(refused(ip), "{ip} should be refused");
        }
        for ip in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!refused(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn allowlist_entries_parse_and_match() {
        let port: AllowEntry = "127.0.0.1:8080".parse().unwrap();
        assert!(port.allows("127.0.0.1:8080".parse().unwrap()));
        assert!(!port.allows("127.0.0.1:8081".parse().unwrap()));
        let net: AllowEntry = "10.1.0.0/16".parse().unwrap();
        assert!(net.allows("10.1.200.3:443".parse().unwrap()));
        assert!(!net.allows("10.2.0.1:443".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<AllowEntry>().is_err());
        assert!("example.com".parse::<AllowEntry>().is_err());
        let allow = [port];
        assert!(check_address("127.0.0.1:8080".parse().unwrap(), &allow).is_ok());
        let err = check_address("127.0.0.1:9".parse().unwrap(), &allow).unwrap_err();
        assert!(err.contains("loopback"), "{err}");
    }
}
