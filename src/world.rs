//! The world file: accounts, regions and zones, and each region's default VPC and vSwitches.
//!
//! The default world is `fixtures/world.json`, embedded in the binary; `--world FILE` replaces it
//! with a file of the same format. Loading validates everything (unique ids, CIDRs that parse and
//! nest, zones that exist) and fails with a message that names the offending entry. Depends only on
//! `clock` (for the creation time) and `ipnet`.

use std::collections::HashMap;

use ipnet::Ipv4Net;
use serde::Deserialize;

use crate::clock::{parse_iso, Millis};

pub const DEFAULT_WORLD: &str = include_str!("../fixtures/world.json");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldFile {
    /// When the default resources were created (their `CreationTime`).
    created_at: String,
    accounts: Vec<AccountSpec>,
    regions: Vec<RegionSpec>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    pub access_key_id: String,
    pub access_key_secret: String,
    /// The account's numeric id (`OwnerId` in responses).
    pub account_id: u64,
    #[serde(default)]
    pub name: String,
    /// Whether the account may use the legacy NAT bandwidth-package actions (bought a package
    /// before 2018-01-26). Absent: the emulator's default (`--legacy-bandwidth-packages`, on).
    #[serde(default)]
    pub legacy_bandwidth_packages: Option<bool>,
}

impl std::fmt::Debug for AccountSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret.
        f.debug_struct("AccountSpec")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalNames {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    #[serde(rename = "en-US")]
    pub en_us: String,
}

impl LocalNames {
    /// `AcceptLanguage`: `en-US`/`en-us` → English, anything else (default `zh-CN`) → Chinese.
    pub fn pick(&self, accept_language: Option<&str>) -> &str {
        match accept_language {
            Some(l) if l.to_ascii_lowercase().starts_with("en") => &self.en_us,
            _ => &self.zh_cn,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionSpec {
    region_id: String,
    local_name: LocalNames,
    endpoint: String,
    /// The 3 characters that follow the dash in this region's resource ids (`bp1` for cn-hangzhou).
    id_code: String,
    zones: Vec<ZoneSpec>,
    default_vpc: DefaultVpcSpec,
    /// Public CIDR blocks EIPs are allocated from (default: a /20 of 198.18.0.0/15 per region).
    #[serde(default)]
    eip_pool: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneSpec {
    pub zone_id: String,
    pub local_name: LocalNames,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultVpcSpec {
    cidr: String,
    vswitches: Vec<DefaultVSwitchSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultVSwitchSpec {
    zone_id: String,
    cidr: String,
}

/// A validated region.
#[derive(Debug, Clone)]
pub struct Region {
    pub region_id: String,
    pub local_name: LocalNames,
    pub endpoint: String,
    pub id_code: String,
    pub zones: Vec<ZoneSpec>,
    pub default_vpc_cidr: Ipv4Net,
    pub default_vswitches: Vec<(String, Ipv4Net)>,
    pub eip_pool: Vec<Ipv4Net>,
}

impl Region {
    pub fn zone(&self, zone_id: &str) -> Option<&ZoneSpec> {
        self.zones.iter().find(|z| z.zone_id == zone_id)
    }
}

/// The validated world: shared, immutable while the emulator runs.
#[derive(Debug, Clone)]
pub struct World {
    pub created_at: Millis,
    pub accounts: Vec<AccountSpec>,
    pub regions: Vec<Region>,
    region_index: HashMap<String, usize>,
    /// Whether accounts that do not say otherwise may use the legacy bandwidth-package actions.
    pub legacy_bandwidth_packages: bool,
}

impl World {
    pub fn default_world() -> Result<World, String> {
        World::parse(DEFAULT_WORLD)
    }

    pub fn parse(text: &str) -> Result<World, String> {
        let file: WorldFile = serde_json::from_str(text).map_err(|e| format!("world file: {e}"))?;
        let created_at = parse_iso(&file.created_at)
            .ok_or_else(|| format!("world file: created_at {:?} is not YYYY-MM-DDThh:mm:ssZ", file.created_at))?;
        if file.accounts.is_empty() {
            return Err("world file: at least one account is needed".into());
        }
        let mut seen = std::collections::HashSet::new();
        for a in &file.accounts {
            if a.access_key_id.is_empty() || a.access_key_secret.is_empty() {
                return Err(format!(
                    "world file: account {:?}: access_key_id and access_key_secret must not be empty",
                    a.access_key_id
                ));
            }
            if !seen.insert(a.access_key_id.clone()) {
                return Err(format!("world file: access_key_id {:?} appears twice", a.access_key_id));
            }
        }
        let mut regions = Vec::new();
        let mut region_index = HashMap::new();
        for r in file.regions {
            let ctx = format!("world file: region {:?}", r.region_id);
            if region_index.insert(r.region_id.clone(), regions.len()).is_some() {
                return Err(format!("{ctx} appears twice"));
            }
            if r.id_code.len() != 3 || !r.id_code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
                return Err(format!("{ctx}: id_code must be 3 characters [a-z0-9]"));
            }
            if r.zones.is_empty() {
                return Err(format!("{ctx}: at least one zone is needed"));
            }
            let vpc_cidr: Ipv4Net = r
                .default_vpc
                .cidr
                .parse()
                .map_err(|_| format!("{ctx}: default_vpc.cidr {:?} is not a CIDR", r.default_vpc.cidr))?;
            let mut vsws: Vec<(String, Ipv4Net)> = Vec::new();
            for v in &r.default_vpc.vswitches {
                if !r.zones.iter().any(|z| z.zone_id == v.zone_id) {
                    return Err(format!("{ctx}: default vSwitch zone {:?} is not a zone of the region", v.zone_id));
                }
                let c: Ipv4Net =
                    v.cidr.parse().map_err(|_| format!("{ctx}: vSwitch cidr {:?} is not a CIDR", v.cidr))?;
                if !vpc_cidr.contains(&c) {
                    return Err(format!("{ctx}: vSwitch cidr {c} is not inside {vpc_cidr}"));
                }
                if let Some((_, o)) = vsws.iter().find(|(_, o)| o.contains(&c) || c.contains(o)) {
                    return Err(format!("{ctx}: vSwitch cidrs {c} and {o} overlap"));
                }
                vsws.push((v.zone_id.clone(), c));
            }
            let mut eip_pool = Vec::new();
            for c in &r.eip_pool {
                let net: Ipv4Net = c.parse().map_err(|_| format!("{ctx}: eip_pool entry {c:?} is not a CIDR"))?;
                if net.prefix_len() > 30 {
                    return Err(format!("{ctx}: eip_pool entry {net} is smaller than a /30"));
                }
                eip_pool.push(net);
            }
            if eip_pool.is_empty() {
                let i = regions.len() as u32;
                eip_pool.push(
                    Ipv4Net::new(std::net::Ipv4Addr::from(0xC612_0000u32 + (i << 12)), 20)
                        .map_err(|e| e.to_string())?,
                );
            }
            regions.push(Region {
                region_id: r.region_id,
                local_name: r.local_name,
                endpoint: r.endpoint,
                id_code: r.id_code,
                zones: r.zones,
                default_vpc_cidr: vpc_cidr,
                default_vswitches: vsws,
                eip_pool,
            });
        }
        if regions.is_empty() {
            return Err("world file: at least one region is needed".into());
        }
        Ok(World { created_at, accounts: file.accounts, regions, region_index, legacy_bandwidth_packages: true })
    }

    pub fn region(&self, id: &str) -> Option<&Region> {
        self.region_index.get(id).map(|&i| &self.regions[i])
    }

    /// Replaces a region's EIP pool (`--eip-pool REGION=CIDR[,CIDR]`).
    pub fn set_eip_pool(&mut self, spec: &str) -> Result<(), String> {
        let (region, cidrs) =
            spec.split_once('=').ok_or_else(|| format!("--eip-pool {spec:?}: expected REGION=CIDR[,CIDR]"))?;
        let i =
            *self.region_index.get(region.trim()).ok_or_else(|| format!("--eip-pool: unknown region {region:?}"))?;
        let mut pool = Vec::new();
        for c in cidrs.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let net: Ipv4Net = c.parse().map_err(|_| format!("--eip-pool: {c:?} is not a CIDR"))?;
            if net.prefix_len() > 30 {
                return Err(format!("--eip-pool: {net} is smaller than a /30"));
            }
            pool.push(net);
        }
        if pool.is_empty() {
            return Err(format!("--eip-pool {spec:?}: no CIDR given"));
        }
        self.regions[i].eip_pool = pool;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_world_is_valid_and_complete() {
        let w = World::default_world().unwrap();
        for r in
            ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1", "us-west-1", "eu-central-1"]
        {
            let region = w.region(r).unwrap_or_else(|| panic!("{r} missing"));
            let zones: std::collections::HashSet<_> = region.default_vswitches.iter().map(|(z, _)| z).collect();
            assert!(zones.len() >= 2, "{r}: default vSwitches in at least two zones");
        }
        assert!(w.accounts.len() >= 2);
        assert_eq!(w.accounts[0].access_key_id, "testid");
    }

    #[test]
    fn bad_worlds_are_refused_with_a_reason() {
        let base: serde_json::Value = serde_json::from_str(DEFAULT_WORLD).unwrap();
        let mut w = base.clone();
        w["regions"][0]["default_vpc"]["vswitches"][0]["cidr"] = "10.0.0.0/24".into();
        assert!(World::parse(&w.to_string()).unwrap_err().contains("not inside"));
        let mut w = base.clone();
        w["accounts"][1]["access_key_id"] = "testid".into();
        assert!(World::parse(&w.to_string()).unwrap_err().contains("twice"));
        assert!(World::parse("{").is_err());
    }
}
