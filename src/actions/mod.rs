//! One module per action, grouped by resource. Each holds `Request`, `parse`, `handle` and
//! `Response`; shared pieces of responses live here. Actions never import axum or `wire`.

pub mod bandwidth_package;
pub mod eip;
pub mod forward_entry;
pub mod nat_gateway;
pub mod region;
pub mod snat_entry;
pub mod tag;
pub mod vpc;
pub mod vswitch;

use serde::Serialize;

use crate::error::ApiError;
use crate::params::{Paging, Params, Tag};

/// `{"Tag":[{"Key":…,"Value":…}]}` (VPC, vSwitch and EIP responses use `Key`/`Value`).
#[derive(Debug, Serialize)]
pub struct KeyValueTags {
    #[serde(rename = "Tag")]
    pub tag: Vec<KeyValueTag>,
}

#[derive(Debug, Serialize)]
pub struct KeyValueTag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

impl KeyValueTags {
    pub fn of(tags: &[Tag]) -> Self {
        KeyValueTags { tag: tags.iter().map(|t| KeyValueTag { key: t.key.clone(), value: t.value.clone() }).collect() }
    }
}

/// Whether a resource carries every one of the wanted tags (a `Tag.N` filter).
pub fn has_tags(have: &[Tag], wanted: &[Tag]) -> bool {
    wanted.iter().all(|w| have.iter().any(|h| h.key == w.key && (w.value.is_empty() || h.value == w.value)))
}

/// One page of an already filtered and ordered list, and the total.
pub fn page<T>(items: Vec<T>, paging: Paging) -> (usize, Vec<T>) {
    let total = items.len();
    let out = items.into_iter().skip(paging.offset()).take(paging.size).collect();
    (total, out)
}

/// One page of an ordered iterator whose total is known (no filter: nothing is collected or
/// sorted beyond the page).
pub fn page_of<T>(items: impl Iterator<Item = T>, total: usize, paging: Paging) -> (usize, Vec<T>) {
    (total, items.skip(paging.offset()).take(paging.size).collect())
}

/// `DryRun=true`: every check passed, nothing changed (REAL-SERVICE §1 item 8).
pub fn dry_run(p: &Params) -> Result<bool, ApiError> {
    p.bool_or("DryRun", false)
}

#[cfg(test)]
pub mod testing {
    //! Helpers for the unit tests beside each action: a fresh account state in the default world
    //! and a context at a fixed instant.
    use std::sync::OnceLock;

    use crate::params::Params;
    use crate::store::{AccountState, Ctx, Delays, Quotas};
    use crate::world::World;

    pub const NOW: u64 = 1_700_000_000_000;

    pub fn world() -> &'static World {
        static W: OnceLock<World> = OnceLock::new();
        W.get_or_init(|| World::default_world().expect("default world"))
    }

    pub fn state() -> AccountState {
        AccountState::initial(world(), &world().accounts[0], 42)
    }

    /// One shared pool set for every unit test (pools hand out fresh addresses, so tests running
    /// in parallel never collide).
    pub fn pools() -> &'static parking_lot::Mutex<crate::model::eip::Pools> {
        static P: OnceLock<parking_lot::Mutex<crate::model::eip::Pools>> = OnceLock::new();
        P.get_or_init(|| {
            parking_lot::Mutex::new(
                world()
                    .regions
                    .iter()
                    .map(|r| (r.region_id.clone(), crate::model::IpPool::new(r.eip_pool.clone())))
                    .collect(),
            )
        })
    }

    pub fn ctx() -> Ctx<'static> {
        Ctx { now: NOW, world: world(), delays: Delays::uniform(0), quotas: Quotas::default(), pools: pools() }
    }

    pub fn ctx_with_delay(ms: u64) -> Ctx<'static> {
        Ctx { delays: Delays::uniform(ms), ..ctx() }
    }

    pub fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().copied())
    }

    pub fn default_vpc(st: &AccountState, region: &str) -> String {
        st.regions[region].vpcs.values().find(|v| v.is_default).expect("default vpc").id.clone()
    }
}
