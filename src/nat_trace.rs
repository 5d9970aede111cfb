//! Which DNAT or SNAT entry translates a packet, and why the others do not: the logic behind
//! `POST /_emulator/nat/trace`. Pure: reads a region's state, changes nothing, knows no HTTP.
//!
//! Inbound (Internet → VPC): DNAT entries of the gateway whose external IP, protocol and port
//! match the destination; the destination becomes the internal address (a port range maps
//! offset-for-offset). Outbound (VPC → Internet): an IP-mapping DNAT entry (`IpProtocol=any`) for
//! the source address wins; otherwise the SNAT entry with the most specific source block that
//! holds the source address; the source becomes one of its SNAT IPs (chosen by a hash of the
//! source — and the destination unless EIP affinity is on — so the choice is stable).

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::actions::forward_entry::{protocols_overlap, Port, Protocol, Tuple};
use crate::actions::snat_entry::source_cidr;
use crate::ids::hash_str;
use crate::model::{EntryStatus, NatGateway};
use crate::store::RegionState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Packet {
    pub direction: Direction,
    pub src_ip: Ipv4Addr,
    #[serde(default)]
    pub src_port: u16,
    pub dst_ip: Ipv4Addr,
    #[serde(default)]
    pub dst_port: u16,
    /// `tcp`, `udp`, `icmp` … (any case).
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Translated {
    pub src_ip: String,
    pub src_port: u16,
    pub dst_ip: String,
    pub dst_port: u16,
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub entry_id: String,
    pub kind: &'static str,
    pub matched: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub nat_gateway_id: String,
    pub direction: Direction,
    /// The entry that translates the packet, if any.
    pub matched: Option<Candidate>,
    pub translated: Option<Translated>,
    /// Every entry considered, with why it did or did not match.
    pub entries: Vec<Candidate>,
    pub verdict: String,
}

fn cand(entry_id: &str, kind: &'static str, matched: bool, reason: String) -> Candidate {
    Candidate { entry_id: entry_id.to_owned(), kind, matched, reason }
}

pub fn trace(rs: &RegionState, gw: &NatGateway, p: &Packet) -> Trace {
    let proto = p.protocol.to_ascii_lowercase();
    match p.direction {
        Direction::Inbound => inbound(rs, gw, p, &proto),
        Direction::Outbound => outbound(rs, gw, p, &proto),
    }
}

fn inbound(rs: &RegionState, gw: &NatGateway, p: &Packet, proto: &str) -> Trace {
    let mut entries = Vec::new();
    let mut hit: Option<(Candidate, Translated)> = None;
    for e in rs.forward_entries_of(&gw.id) {
        let t = Tuple::of(e);
        let why = if e.status != EntryStatus::Available {
            Some(format!("the entry is {}, not Available", e.status.as_str()))
        } else if t.external_ip != p.dst_ip {
            Some(format!("its external IP {} is not the destination {}", t.external_ip, p.dst_ip))
        } else if !protocols_overlap(t.protocol.as_str(), proto) {
            Some(format!("its protocol {} does not carry {proto}", t.protocol))
        } else if !t.external_port.contains(p.dst_port) {
            Some(format!("destination port {} is outside its external port {}", p.dst_port, t.external_port))
        } else if hit.is_some() {
            Some("an earlier entry already matched".into())
        } else {
            None
        };
        match why {
            Some(reason) => entries.push(cand(&e.id, "DNAT", false, reason)),
            None => {
                let dst_port = match (t.external_port, t.internal_port) {
                    (Port::Range(a, _), Port::Range(c, _)) => c + (p.dst_port - a),
                    _ => p.dst_port,
                };
                let c = cand(
                    &e.id,
                    "DNAT",
                    true,
                    format!(
                        "{} {}:{} → {}:{}",
                        t.protocol, t.external_ip, t.external_port, t.internal_ip, t.internal_port
                    ),
                );
                let tr = Translated {
                    src_ip: p.src_ip.to_string(),
                    src_port: p.src_port,
                    dst_ip: t.internal_ip.to_string(),
                    dst_port,
                    protocol: proto.to_owned(),
                };
                entries.push(c.clone());
                hit = Some((c, tr));
            }
        }
    }
    let verdict = match &hit {
        Some((c, t)) => format!("DNAT entry {} forwards the packet to {}:{}", c.entry_id, t.dst_ip, t.dst_port),
        None => format!("no DNAT entry of {} matches: the gateway drops the packet", gw.id),
    };
    let (matched, translated) = hit.map(|(c, t)| (Some(c), Some(t))).unwrap_or((None, None));
    Trace { nat_gateway_id: gw.id.clone(), direction: Direction::Inbound, matched, translated, entries, verdict }
}

fn outbound(rs: &RegionState, gw: &NatGateway, p: &Packet, proto: &str) -> Trace {
    let mut entries = Vec::new();
    // IP mapping (DNAT with IpProtocol=any) also serves the mapped address's outbound traffic.
    let mapping = rs
        .forward_entries_of(&gw.id)
        .into_iter()
        .find(|e| e.status == EntryStatus::Available && e.ip_protocol == Protocol::Any && e.internal_ip == p.src_ip);
    if let Some(e) = mapping {
        let c = cand(&e.id, "DNAT", true, format!("IP mapping {} ↔ {}", e.internal_ip, e.external_ip));
        let tr = Translated {
            src_ip: e.external_ip.to_string(),
            src_port: p.src_port,
            dst_ip: p.dst_ip.to_string(),
            dst_port: p.dst_port,
            protocol: proto.to_owned(),
        };
        for s in rs.snat_entries_of(&gw.id) {
            entries.push(cand(&s.id, "SNAT", false, format!("IP mapping entry {} takes precedence", e.id)));
        }
        entries.insert(0, c.clone());
        return Trace {
            nat_gateway_id: gw.id.clone(),
            direction: Direction::Outbound,
            verdict: format!("DNAT IP mapping {} sends the packet from {}", e.id, e.external_ip),
            matched: Some(c),
            translated: Some(tr),
            entries,
        };
    }
    let mut best: Option<(u8, &crate::model::SnatEntry)> = None;
    let mut reasons: Vec<(String, Option<String>)> = Vec::new();
    for s in rs.snat_entries_of(&gw.id) {
        let cidr = source_cidr(rs, s);
        let why = match cidr {
            _ if s.status != EntryStatus::Available => {
                Some(format!("the entry is {}, not Available", s.status.as_str()))
            }
            None => Some("its source vSwitch no longer exists".into()),
            Some(c) if !c.contains(&p.src_ip) => Some(format!("source {} is not in {}", p.src_ip, c)),
            Some(c) => {
                if best.is_none_or(|(len, _)| c.prefix_len() > len) {
                    best = Some((c.prefix_len(), s));
                }
                None
            }
        };
        reasons.push((s.id.clone(), why));
    }
    let winner = best.map(|(_, s)| s);
    for (id, why) in reasons {
        match (why, winner) {
            (Some(r), _) => entries.push(cand(&id, "SNAT", false, r)),
            (None, Some(w)) if w.id == id => {}
            (None, Some(w)) => {
                entries.push(cand(&id, "SNAT", false, format!("entry {} has a more specific source block", w.id)))
            }
            (None, None) => {}
        }
    }
    let (matched, translated, verdict) = match winner {
        Some(s) => {
            let key = if s.eip_affinity == 1 { p.src_ip.to_string() } else { format!("{}>{}", p.src_ip, p.dst_ip) };
            let ip = s.snat_ips[(hash_str(&key) % s.snat_ips.len().max(1) as u64) as usize % s.snat_ips.len().max(1)]
                .clone();
            let c = cand(
                &s.id,
                "SNAT",
                true,
                format!("source {} is in {}", p.src_ip, source_cidr(rs, s).map(|c| c.to_string()).unwrap_or_default()),
            );
            entries.insert(0, c.clone());
            let verdict = format!("SNAT entry {} sends the packet from {ip}", s.id);
            let tr = Translated {
                src_ip: ip,
                src_port: p.src_port,
                dst_ip: p.dst_ip.to_string(),
                dst_port: p.dst_port,
                protocol: proto.to_owned(),
            };
            (Some(c), Some(tr), verdict)
        }
        None => {
            (None, None, format!("no SNAT entry of {} covers {}: the packet does not leave the VPC", gw.id, p.src_ip))
        }
    };
    Trace { nat_gateway_id: gw.id.clone(), direction: Direction::Outbound, matched, translated, entries, verdict }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::forward_entry::create_forward_entry::tests::{create as dnat, world_with_eip};
    use crate::actions::snat_entry::create_snat_entry::tests::{create as snat, default_vswitches};
    use crate::actions::testing::*;

    fn packet(direction: Direction, src: &str, sport: u16, dst: &str, dport: u16, proto: &str) -> Packet {
        Packet {
            direction,
            src_ip: src.parse().unwrap(),
            src_port: sport,
            dst_ip: dst.parse().unwrap(),
            dst_port: dport,
            protocol: proto.into(),
        }
    }

    #[test]
    fn inbound_port_range_maps_by_offset() {
        let mut st = state();
        let (gw, ftb, _, ip) = world_with_eip(&mut st);
        let e = dnat(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &ip),
                ("ExternalPort", "1000/1010"),
                ("InternalIp", "172.16.0.10"),
                ("InternalPort", "2000/2010"),
                ("IpProtocol", "tcp"),
            ],
            0,
        )
        .unwrap();
        dnat(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &ip),
                ("ExternalPort", "53"),
                ("InternalIp", "172.16.0.11"),
                ("InternalPort", "53"),
                ("IpProtocol", "udp"),
            ],
            0,
        )
        .unwrap();
        let rs = &st.regions["cn-hangzhou"];
        let g = &rs.nat_gateways[&gw];
        let t = trace(rs, g, &packet(Direction::Inbound, "8.8.8.8", 5555, &ip, 1005, "TCP"));
        assert_eq!(t.matched.as_ref().unwrap().entry_id, e.forward_entry_id);
        assert_eq!(t.translated.as_ref().unwrap().dst_port, 2005);
        assert_eq!(t.entries.iter().filter(|c| !c.matched).count(), 1);
        assert!(t.entries.iter().any(|c| c.reason.contains("does not carry tcp")));
        let miss = trace(rs, g, &packet(Direction::Inbound, "8.8.8.8", 1, &ip, 22, "tcp"));
        assert!(miss.matched.is_none() && miss.verdict.contains("drops"));
    }

    #[test]
    fn outbound_most_specific_snat_wins() {
        let mut st = state();
        let (gw, _, stb, ip) = world_with_eip(&mut st);
        let vsw = default_vswitches(&st);
        let wide =
            snat(&mut st, &[("SnatTableId", &stb), ("SourceCIDR", "172.16.0.0/12"), ("SnatIp", &ip)], 0).unwrap();
        let narrow = snat(&mut st, &[("SnatTableId", &stb), ("SourceVSwitchId", &vsw[0]), ("SnatIp", &ip)], 0).unwrap();
        let rs = &st.regions["cn-hangzhou"];
        let g = &rs.nat_gateways[&gw];
        let t = trace(rs, g, &packet(Direction::Outbound, "172.16.0.7", 40000, "1.1.1.1", 443, "tcp"));
        assert_eq!(t.matched.as_ref().unwrap().entry_id, narrow.snat_entry_id);
        assert_eq!(t.translated.as_ref().unwrap().src_ip, ip);
        assert!(t.entries.iter().any(|c| c.entry_id == wide.snat_entry_id && c.reason.contains("more specific")));
        let t = trace(rs, g, &packet(Direction::Outbound, "172.20.0.7", 40000, "1.1.1.1", 443, "tcp"));
        assert_eq!(t.matched.as_ref().unwrap().entry_id, wide.snat_entry_id);
        let t = trace(rs, g, &packet(Direction::Outbound, "10.0.0.1", 1, "1.1.1.1", 443, "tcp"));
        assert!(t.matched.is_none());
    }
}
