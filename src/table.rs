//! `Table<T>`: resources by id, with the indexes lists need — creation order, a group (the gateway
//! of an entry, the VPC of a gateway) and aliases (a gateway's DNAT/SNAT table ids) — so that
//! describing one page or one gateway's entries never scans or sorts a whole region.
//!
//! It behaves like a `BTreeMap<String, T>` (same method names) and serializes as one, so state
//! dumps and snapshots stay plain JSON; the indexes are rebuilt on load. Each id is stored once
//! (an `Arc<str>` shared by the map and its indexes: 100,000 entries, not 300,000 strings). A
//! resource's seq, group and aliases must not change while it is in the table. Depends on nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What the table indexes a resource by.
pub trait Indexed {
    /// Creation order (unique within an account).
    fn seq(&self) -> u64;
    /// The owner whose children are listed together ("" for none).
    fn group(&self) -> &str {
        ""
    }
    /// Other ids the resource can be found by.
    fn aliases(&self) -> Vec<&str> {
        Vec::new()
    }
}

#[derive(Debug, Clone)]
pub struct Table<T> {
    /// Boxed: a B-tree node then holds pointers, not 100–800-byte resources at ~70% fill.
    items: BTreeMap<Arc<str>, Box<T>>,
    order: BTreeMap<u64, Arc<str>>,
    groups: HashMap<String, BTreeMap<u64, Arc<str>>>,
    aliases: HashMap<String, Arc<str>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { items: BTreeMap::new(), order: BTreeMap::new(), groups: HashMap::new(), aliases: HashMap::new() }
    }
}

impl<T: Indexed> Table<T> {
    pub fn insert(&mut self, id: String, value: T) -> Option<T> {
        let id: Arc<str> = Arc::from(id);
        // One search of the map: a new id (the usual case) goes straight in.
        let old = match self.items.entry(id.clone()) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                Self::index_into(&mut self.order, &mut self.groups, &mut self.aliases, &id, &value);
                slot.insert(Box::new(value));
                return None;
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let old = *slot.insert(Box::new(value));
                // The map keeps its key: the indexes share that one.
                let key = slot.key().clone();
                Self::unindex(&mut self.order, &mut self.groups, &mut self.aliases, &old);
                Self::index_into(&mut self.order, &mut self.groups, &mut self.aliases, &key, slot.get());
                old
            }
        };
        Some(old)
    }

    fn index_into(
        order: &mut BTreeMap<u64, Arc<str>>,
        groups: &mut HashMap<String, BTreeMap<u64, Arc<str>>>,
        aliases: &mut HashMap<String, Arc<str>>,
        id: &Arc<str>,
        value: &T,
    ) {
        order.insert(value.seq(), id.clone());
        if !value.group().is_empty() {
            match groups.get_mut(value.group()) {
                Some(g) => {
                    g.insert(value.seq(), id.clone());
                }
                None => {
                    groups.insert(value.group().to_owned(), BTreeMap::from([(value.seq(), id.clone())]));
                }
            }
        }
        for a in value.aliases() {
            aliases.insert(a.to_owned(), id.clone());
        }
    }

    fn unindex(
        order: &mut BTreeMap<u64, Arc<str>>,
        groups: &mut HashMap<String, BTreeMap<u64, Arc<str>>>,
        aliases: &mut HashMap<String, Arc<str>>,
        value: &T,
    ) {
        order.remove(&value.seq());
        if let Some(g) = groups.get_mut(value.group()) {
            g.remove(&value.seq());
            if g.is_empty() {
                groups.remove(value.group());
            }
        }
        for a in value.aliases() {
            aliases.remove(a);
        }
    }

    pub fn remove(&mut self, id: &str) -> Option<T> {
        let value = *self.items.remove(id)?;
        Self::unindex(&mut self.order, &mut self.groups, &mut self.aliases, &value);
        Some(value)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut T) -> bool) {
        let drop: Vec<Arc<str>> =
            self.items.iter_mut().filter_map(|(k, v)| (!keep(k, &mut **v)).then(|| k.clone())).collect();
        for id in drop {
            self.remove(&id);
        }
    }

    /// The members of a group, oldest first.
    pub fn group(&self, group: &str) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.groups.get(group).into_iter().flat_map(|g| g.values()).filter_map(|id| self.get(id))
    }

    pub fn group_len(&self, group: &str) -> usize {
        self.groups.get(group).map_or(0, BTreeMap::len)
    }

    /// Every resource, oldest first.
    pub fn in_order(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.order.values().filter_map(|id| self.get(id))
    }

    pub fn by_alias(&self, alias: &str) -> Option<&T> {
        self.aliases.get(alias).and_then(|id| self.get(id))
    }
}

impl<T> Table<T> {
    pub fn get(&self, id: &str) -> Option<&T> {
        self.items.get(id).map(|v| &**v)
    }

    /// Mutable access; the caller must not change the resource's seq, group or aliases.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.items.get_mut(id).map(|v| &mut **v)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.items.contains_key(id)
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.items.values().map(|v| &**v)
    }

    /// Mutable access to every resource; the same rule as `get_mut`.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.items.values_mut().map(|v| &mut **v)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.items.keys().map(|k| &**k)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.items.iter().map(|(k, v)| (&**k, &**v))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<T: Indexed> FromIterator<(String, T)> for Table<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        let mut t = Table::default();
        for (k, v) in iter {
            t.insert(k, v);
        }
        t
    }
}

impl<T: Serialize> Serialize for Table<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de, T: Deserialize<'de> + Indexed> Deserialize<'de> for Table<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = BTreeMap::<String, T>::deserialize(d)?;
        Ok(items.into_iter().collect())
    }
}

impl<T: PartialEq> PartialEq for Table<T> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl<T> std::ops::Index<&String> for Table<T> {
    type Output = T;
    fn index(&self, id: &String) -> &T {
        &self.items[id.as_str()]
    }
}

impl<T> std::ops::Index<&str> for Table<T> {
    type Output = T;
    fn index(&self, id: &str) -> &T {
        &self.items[id]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct R {
        seq: u64,
        parent: String,
        alias: String,
    }

    impl Indexed for R {
        fn seq(&self) -> u64 {
            self.seq
        }
        fn group(&self) -> &str {
            &self.parent
        }
        fn aliases(&self) -> Vec<&str> {
            vec![&self.alias]
        }
    }

    fn r(seq: u64, parent: &str) -> R {
        R { seq, parent: parent.into(), alias: format!("a{seq}") }
    }

    #[test]
    fn indexes_follow_inserts_and_removes() {
        let mut t: Table<R> = Table::default();
        t.insert("x3".into(), r(3, "g1"));
        t.insert("x1".into(), r(1, "g1"));
        t.insert("x2".into(), r(2, "g2"));
        assert_eq!(t.group("g1").map(|v| v.seq).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(t.in_order().rev().map(|v| v.seq).collect::<Vec<_>>(), vec![3, 2, 1]);
        assert_eq!(t.by_alias("a2").map(|v| v.seq), Some(2));
        t.remove("x1");
        t.retain(|_, v| v.seq != 2);
        assert_eq!(t.group_len("g1"), 1);
        assert_eq!(t.group_len("g2"), 0);
        assert!(t.by_alias("a2").is_none());
        // Replacing a resource moves it in every index.
        assert_eq!(
            t.insert("x3".into(), R { seq: 7, parent: "g9".into(), alias: "a7".into() }).map(|o| o.seq),
            Some(3)
        );
        assert_eq!((t.group_len("g1"), t.group_len("g9"), t.len()), (0, 1, 1));
        assert!(t.by_alias("a3").is_none() && t.by_alias("a7").is_some());
        assert_eq!(t.in_order().map(|v| v.seq).collect::<Vec<_>>(), vec![7]);
        t.insert("x1".into(), r(1, "g1"));
        let json = serde_json::to_string(&t).unwrap();
        let back: Table<R> = serde_json::from_str(&json).unwrap();
        assert_eq!((back.group("g1").count(), back.group("g9").count()), (1, 1));
        assert_eq!(back, t);
    }
}
