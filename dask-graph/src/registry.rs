//! Name → item indexes over link-time registries (operations, codecs).
//!
//! Built once, on first use. A name registered twice is remembered, and looking it up
//! is an error rather than an arbitrary pick.

use std::collections::HashMap;

use crate::error::Error;

pub(crate) struct NameIndex<T: 'static> {
    by_name: HashMap<&'static str, &'static T>,
    duplicates: Vec<&'static str>,
    /// Every registered name, sorted, duplicates included.
    names: Vec<&'static str>,
}

impl<T: 'static> NameIndex<T> {
    pub fn new(items: &'static [T], name_of: fn(&T) -> &'static str) -> NameIndex<T> {
        let mut idx = NameIndex {
            by_name: HashMap::with_capacity(items.len()),
            duplicates: Vec::new(),
            names: items.iter().map(name_of).collect(),
        };
        idx.names.sort_unstable();
        for item in items {
            if idx.by_name.insert(name_of(item), item).is_some() {
                idx.duplicates.push(name_of(item));
            }
        }
        idx
    }

    /// The item named `name`; `kind` ("operation", "codec") names it in the duplicate
    /// error, `unknown` makes the not-found error.
    pub fn get(
        &self,
        name: &str,
        kind: &'static str,
        unknown: fn(String) -> Error,
    ) -> Result<&'static T, Error> {
        if self.is_duplicate(name) {
            return Err(Error::DuplicateRegistration {
                kind,
                name: name.to_string(),
            });
        }
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| unknown(name.to_string()))
    }

    /// Whether `name` was registered more than once.
    pub fn is_duplicate(&self, name: &str) -> bool {
        self.duplicates.contains(&name)
    }

    /// Every registered name, sorted (a name registered twice appears twice).
    pub fn sorted_names(&self) -> Vec<&'static str> {
        self.names.clone()
    }
}
