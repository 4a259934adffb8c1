//! Network helpers shared by the NET rules: protocol normalization, port coverage and CIDR
//! classification (internet / public / private), for IPv4 and IPv6 in any spelling.

use std::net::{Ipv4Addr, Ipv6Addr};

/// A protocol as rules care about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    All,
    Tcp,
    Other,
}

/// `-1`, `all` → All; `tcp`, `6` → Tcp (any case); anything else → Other.
pub(crate) fn protocol(text: &str) -> Protocol {
    let text = text.trim();
    if text == "-1" || text.eq_ignore_ascii_case("all") {
        Protocol::All
    } else if text == "6" || text.eq_ignore_ascii_case("tcp") {
        Protocol::Tcp
    } else {
        Protocol::Other
    }
}

/// Whether a rule with this protocol and port range lets TCP `port` through. Absent ports or
/// `-1` mean all ports; an inverted range (`443`→`22`) is read as the span between the two,
/// which is what its author meant and what a careless fix would deploy.
pub(crate) fn covers_tcp_port(
    protocol_text: &str,
    from: Option<i32>,
    to: Option<i32>,
    port: u16,
) -> bool {
    match protocol(protocol_text) {
        Protocol::All => true,
        Protocol::Other => false,
        Protocol::Tcp => match (from, to) {
            (None, None) => true,
            (Some(f), Some(t)) if f < 0 || t < 0 => true,
            (Some(f), Some(t)) => {
                let (low, high) = if f <= t { (f, t) } else { (t, f) };
                (low..=high).contains(&i32::from(port))
            }
            (Some(p), None) | (None, Some(p)) => p < 0 || p == i32::from(port),
        },
    }
}

/// How far a CIDR reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Reach {
    /// Inside private, shared, loopback or link-local space.
    Private,
    /// Contains public addresses.
    Public,
    /// The whole address space (`/0`).
    Internet,
}

/// Classify an IPv4 or IPv6 CIDR; `None` when it does not parse.
pub(crate) fn classify_cidr(cidr: &str) -> Option<Reach> {
    let cidr = cidr.trim();
    let (addr, len) = match cidr.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (cidr, None),
    };
    if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        let len = len.unwrap_or(32);
        if len > 32 {
            return None;
        }
        return Some(classify_v4(u32::from(v4), len));
    }
    if let Ok(v6) = addr.parse::<Ipv6Addr>() {
        let len = len.unwrap_or(128);
        if len > 128 {
            return None;
        }
        return Some(classify_v6(u128::from(v6), len));
    }
    None
}

/// IPv4 blocks that are not reachable from the internet: RFC 1918, carrier-grade NAT,
/// loopback, link-local.
const PRIVATE_V4: [(u32, u8); 6] = [
    (0x0A00_0000, 8),
    (0xAC10_0000, 12),
    (0xC0A8_0000, 16),
    (0x6440_0000, 10),
    (0x7F00_0000, 8),
    (0xA9FE_0000, 16),
];

/// IPv6 blocks that are not reachable from the internet: unique local, link-local, loopback.
const PRIVATE_V6: [(u128, u8); 3] = [
    (0xfc00_0000_0000_0000_0000_0000_0000_0000, 7),
    (0xfe80_0000_0000_0000_0000_0000_0000_0000, 10),
    (1, 128),
];

fn mask_v4(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

fn mask_v6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

fn classify_v4(addr: u32, len: u8) -> Reach {
    if len == 0 {
        return Reach::Internet;
    }
    let net = addr & mask_v4(len);
    if PRIVATE_V4
        .iter()
        .any(|&(block, blen)| len >= blen && net & mask_v4(blen) == block)
    {
        Reach::Private
    } else {
        Reach::Public
    }
}

fn classify_v6(addr: u128, len: u8) -> Reach {
    if len == 0 {
        return Reach::Internet;
    }
    let net = addr & mask_v6(len);
    if PRIVATE_V6
        .iter()
        .any(|&(block, blen)| len >= blen && net & mask_v6(blen) == block)
    {
        Reach::Private
    } else {
        Reach::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols() {
        assert_eq!(protocol("-1"), Protocol::All);
        assert_eq!(protocol("ALL"), Protocol::All);
        assert_eq!(protocol("6"), Protocol::Tcp);
        assert_eq!(protocol("TCP"), Protocol::Tcp);
        assert_eq!(protocol("udp"), Protocol::Other);
        assert_eq!(protocol("17"), Protocol::Other);
    }

    #[test]
    fn port_ranges() {
        assert!(covers_tcp_port("tcp", Some(22), Some(22), 22));
        assert!(covers_tcp_port("tcp", Some(0), Some(65535), 22));
        assert!(covers_tcp_port("tcp", Some(1), Some(3000), 22));
        assert!(covers_tcp_port("tcp", Some(0), Some(22), 22));
        assert!(
            covers_tcp_port("tcp", Some(443), Some(22), 22),
            "inverted range"
        );
        assert!(!covers_tcp_port("tcp", Some(23), Some(3000), 22));
        assert!(!covers_tcp_port("tcp", Some(80), Some(80), 22));
        assert!(
            covers_tcp_port("-1", Some(0), Some(0), 22),
            "protocol all ignores ports"
        );
        assert!(covers_tcp_port("6", None, None, 3389));
        assert!(!covers_tcp_port("udp", Some(22), Some(22), 22));
        assert!(covers_tcp_port("tcp", Some(-1), Some(-1), 22));
    }

    #[test]
    fn cidrs() {
        assert_eq!(classify_cidr("0.0.0.0/0"), Some(Reach::Internet));
        assert_eq!(classify_cidr("::/0"), Some(Reach::Internet));
        assert_eq!(classify_cidr("0:0:0:0:0:0:0:0/0"), Some(Reach::Internet));
        assert_eq!(classify_cidr("0000:0000::/0"), Some(Reach::Internet));
        assert_eq!(classify_cidr("10.1.0.0/16"), Some(Reach::Private));
        assert_eq!(
            classify_cidr("10.0.0.0/7"),
            Some(Reach::Public),
            "reaches beyond 10/8"
        );
        assert_eq!(classify_cidr("172.31.5.0/24"), Some(Reach::Private));
        assert_eq!(classify_cidr("172.32.0.0/16"), Some(Reach::Public));
        assert_eq!(classify_cidr("203.0.113.7/32"), Some(Reach::Public));
        assert_eq!(classify_cidr("203.0.113.7"), Some(Reach::Public));
        assert_eq!(classify_cidr("fd00:1::/64"), Some(Reach::Private));
        assert_eq!(classify_cidr("2001:db8::/32"), Some(Reach::Public));
        assert_eq!(classify_cidr("0.0.0.0/33"), None);
        assert_eq!(classify_cidr("banana"), None);
    }
}
