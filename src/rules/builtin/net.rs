//! Network helpers shared by the NET rules: protocol normalization, port coverage, CIDR
//! classification (internet / public / private) for IPv4 and IPv6 in any spelling, and the
//! first-match evaluation of network ACL entries (NET003).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::{AclAction, NetworkAclEntry, unknown_reason};

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

impl Reach {
    /// `internet`, `public` or `private`, as in findings' details.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Reach::Internet => "internet",
            Reach::Public => "public",
            Reach::Private => "private",
        }
    }
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

/// An address family, so IPv4 and IPv6 ranges are never compared with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    V4,
    V6,
}

/// The first and last address of a CIDR (host bits ignored), with its family.
pub(crate) fn cidr_bounds(cidr: &str) -> Option<(Family, u128, u128)> {
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
        let mask = mask_v4(len);
        let low = u32::from(v4) & mask;
        return Some((Family::V4, u128::from(low), u128::from(low | !mask)));
    }
    if let Ok(v6) = addr.parse::<Ipv6Addr>() {
        let len = len.unwrap_or(128);
        if len > 128 {
            return None;
        }
        let mask = mask_v6(len);
        let low = u128::from(v6) & mask;
        return Some((Family::V6, low, low | !mask));
    }
    None
}

/// A set of addresses of one family: sorted, disjoint, inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AddressSet(Vec<(u128, u128)>);

impl AddressSet {
    /// Every address of the family.
    pub(crate) fn all(family: Family) -> Self {
        let last = match family {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        };
        AddressSet(vec![(0, last)])
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any address in `low..=high` is in the set.
    pub(crate) fn overlaps(&self, low: u128, high: u128) -> bool {
        self.0.iter().any(|&(a, b)| a <= high && low <= b)
    }

    /// Whether every address in `low..=high` is in the set.
    pub(crate) fn contains_all(&self, low: u128, high: u128) -> bool {
        self.0.iter().any(|&(a, b)| a <= low && high <= b)
    }

    /// Remove `low..=high` from the set.
    pub(crate) fn remove(&mut self, low: u128, high: u128) {
        let mut kept = Vec::with_capacity(self.0.len() + 1);
        for &(a, b) in &self.0 {
            if b < low || high < a {
                kept.push((a, b));
                continue;
            }
            if a < low {
                kept.push((a, low - 1));
            }
            if high < b {
                kept.push((high + 1, b));
            }
        }
        self.0 = kept;
    }
}

/// An inbound network ACL entry that lets traffic to a port through: it is the first entry
/// (in rule-number order) to match for at least some source addresses.
#[derive(Debug, Clone)]
pub(crate) struct AclOpening<'a> {
    pub(crate) entry: &'a NetworkAclEntry,
    /// The entry's source CIDR.
    pub(crate) cidr: &'a str,
    pub(crate) reach: Reach,
    /// Lower-numbered deny entries take away part of the entry's range.
    pub(crate) partly_shadowed: bool,
}

/// The inbound entries of a network ACL that let TCP `port` through, evaluated as AWS does:
/// per address family, in increasing rule-number order, the first entry whose protocol, port
/// range and CIDR match decides; addresses no entry matches are denied. `Err` names an entry
/// whose fields are unknown (or invalid) while it could still decide.
pub(crate) fn acl_openings(
    entries: &[NetworkAclEntry],
    port: u16,
) -> Result<Vec<AclOpening<'_>>, String> {
    let mut inbound: Vec<&NetworkAclEntry> = entries.iter().filter(|e| !e.egress).collect();
    inbound.sort_by_key(|e| e.rule_number);
    let mut openings = Vec::new();
    for family in [Family::V4, Family::V6] {
        let mut undecided = AddressSet::all(family);
        for entry in &inbound {
            if undecided.is_empty() {
                break;
            }
            let unknown = [
                "rule_number",
                "protocol",
                "action",
                "from_port",
                "to_port",
                "cidr_block",
                "ipv6_cidr_block",
            ]
            .iter()
            .find_map(|field| unknown_reason(&entry.unknown, field).map(|r| (field, r)));
            if let Some((field, reason)) = unknown {
                return Err(format!(
                    "inbound entry {}: `{field}` is unknown: {reason}",
                    entry.rule_number
                ));
            }
            let cidr = match family {
                Family::V4 => entry.cidr_block.as_deref(),
                Family::V6 => entry.ipv6_cidr_block.as_deref(),
            };
            let Some(cidr) = cidr else { continue };
            if !covers_tcp_port(&entry.protocol, entry.from_port, entry.to_port, port) {
                continue;
            }
            let Some((entry_family, low, high)) = cidr_bounds(cidr) else {
                return Err(format!(
                    "inbound entry {}: `{cidr}` is not a valid CIDR",
                    entry.rule_number
                ));
            };
            if entry_family != family || !undecided.overlaps(low, high) {
                continue;
            }
            if entry.action == AclAction::Allow {
                openings.push(AclOpening {
                    entry,
                    cidr,
                    reach: classify_cidr(cidr).unwrap_or(Reach::Public),
                    partly_shadowed: !undecided.contains_all(low, high),
                });
            }
            undecided.remove(low, high);
        }
    }
    Ok(openings)
}

/// `all traffic`, `TCP 22`, `TCP 1024-65535`: what an ACL entry or security group rule lets
/// through, in words.
pub(crate) fn describe_ports(protocol_text: &str, from: Option<i32>, to: Option<i32>) -> String {
    let name = match protocol(protocol_text) {
        Protocol::All => return "all traffic".to_owned(),
        Protocol::Tcp => "TCP".to_owned(),
        Protocol::Other => match protocol_text.trim() {
            "17" => "UDP".to_owned(),
            other => other.to_ascii_uppercase(),
        },
    };
    match (from, to) {
        (None, None) => format!("all {name} ports"),
        (Some(f), Some(t)) if f < 0 || t < 0 => format!("all {name} ports"),
        (Some(f), Some(t)) if f == t => format!("{name} {f}"),
        (Some(f), Some(t)) => format!("{name} {}-{}", f.min(t), f.max(t)),
        (Some(p), None) | (None, Some(p)) => format!("{name} {p}"),
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

    fn entry(
        rule: i32,
        protocol: &str,
        action: AclAction,
        cidr: &str,
        ports: Option<(i32, i32)>,
    ) -> NetworkAclEntry {
        let (cidr_block, ipv6_cidr_block) = if cidr.contains(':') {
            (None, Some(cidr.to_owned()))
        } else {
            (Some(cidr.to_owned()), None)
        };
        NetworkAclEntry {
            rule_number: rule,
            protocol: protocol.to_owned(),
            action,
            cidr_block,
            ipv6_cidr_block,
            from_port: ports.map(|p| p.0),
            to_port: ports.map(|p| p.1),
            ..NetworkAclEntry::default()
        }
    }

    #[test]
    fn address_sets() {
        let mut set = AddressSet::all(Family::V4);
        let (_, low, high) = cidr_bounds("10.0.0.0/8").unwrap();
        assert_eq!((low, high), (0x0A00_0000, 0x0AFF_FFFF));
        assert!(set.contains_all(low, high));
        set.remove(low, high);
        assert!(!set.overlaps(low, high));
        let (_, l2, h2) = cidr_bounds("0.0.0.0/0").unwrap();
        assert!(set.overlaps(l2, h2) && !set.contains_all(l2, h2));
        set.remove(l2, h2);
        assert!(set.is_empty());
        assert_eq!(
            cidr_bounds("10.1.2.3/16").unwrap().1,
            0x0A01_0000,
            "host bits ignored"
        );
        assert_eq!(cidr_bounds("::/0").unwrap().2, u128::MAX);
    }

    #[test]
    fn lower_deny_wins_over_later_allow() {
        let entries = vec![
            entry(100, "-1", AclAction::Allow, "0.0.0.0/0", None),
            entry(90, "6", AclAction::Deny, "0.0.0.0/0", Some((22, 22))),
            entry(32767, "-1", AclAction::Deny, "0.0.0.0/0", None),
        ];
        assert!(acl_openings(&entries, 22).unwrap().is_empty());
        let rdp = acl_openings(&entries, 3389).unwrap();
        assert_eq!(rdp.len(), 1);
        assert_eq!(rdp[0].entry.rule_number, 100);
        assert!(!rdp[0].partly_shadowed);
    }

    #[test]
    fn a_deny_on_part_of_the_range_leaves_the_rest_open() {
        let entries = vec![
            entry(50, "tcp", AclAction::Deny, "10.0.0.0/8", Some((0, 65535))),
            entry(60, "-1", AclAction::Allow, "0.0.0.0/0", None),
            entry(70, "-1", AclAction::Allow, "::/0", None),
        ];
        let open = acl_openings(&entries, 22).unwrap();
        assert_eq!(open.len(), 2, "IPv4 and IPv6 are evaluated separately");
        assert!(open[0].partly_shadowed);
        assert_eq!(open[1].reach, Reach::Internet);
    }

    #[test]
    fn ephemeral_range_opens_rdp_and_egress_entries_are_ignored() {
        let mut egress = entry(10, "-1", AclAction::Allow, "0.0.0.0/0", None);
        egress.egress = true;
        let entries = vec![
            egress,
            entry(110, "6", AclAction::Allow, "0.0.0.0/0", Some((1024, 65535))),
        ];
        assert!(acl_openings(&entries, 22).unwrap().is_empty());
        assert_eq!(acl_openings(&entries, 3389).unwrap().len(), 1);
    }

    #[test]
    fn an_allow_behind_a_full_deny_is_not_an_opening() {
        let entries = vec![
            entry(1, "-1", AclAction::Deny, "0.0.0.0/0", None),
            entry(2, "-1", AclAction::Allow, "0.0.0.0/0", None),
        ];
        assert!(acl_openings(&entries, 22).unwrap().is_empty());
    }

    #[test]
    fn unknown_entries_block_only_while_they_could_decide() {
        let mut unknown = entry(200, "6", AclAction::Allow, "0.0.0.0/0", Some((22, 22)));
        unknown
            .unknown
            .insert("cidr_block".into(), "known after apply".into());
        let entries = vec![
            entry(100, "-1", AclAction::Deny, "0.0.0.0/0", None),
            entry(101, "-1", AclAction::Deny, "::/0", None),
            unknown.clone(),
        ];
        assert!(acl_openings(&entries, 22).unwrap().is_empty());
        let err = acl_openings(std::slice::from_ref(&unknown), 22).unwrap_err();
        assert!(err.contains("cidr_block"), "{err}");
    }

    #[test]
    fn port_descriptions() {
        assert_eq!(describe_ports("-1", None, None), "all traffic");
        assert_eq!(describe_ports("6", Some(22), Some(22)), "TCP 22");
        assert_eq!(
            describe_ports("tcp", Some(1024), Some(65535)),
            "TCP 1024-65535"
        );
        assert_eq!(describe_ports("17", Some(53), Some(53)), "UDP 53");
    }
}
