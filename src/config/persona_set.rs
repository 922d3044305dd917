//! The personas of a configuration, found by id or by login.
//!
//! Most personas are built while the configuration loads. Those of a large
//! JSON Lines file (see [`DEFER_FROM`]) are *deferred* when fcmock serves:
//! loading reads each line's id and logins only (so ids, logins and
//! identity providers are checked at once, with file and line), and the
//! persona itself is built the first time something asks for it, or by
//! [`PersonaSet::check_deferred`], which `serve` runs right after it starts
//! listening: an invalid persona then stops fcmock with every error, as a
//! start-up error would. A deferred persona never carries faults, an RNIPP
//! outcome or a blocked account: lines with those fields are built at load,
//! because the registries built at start-up need them.

use std::hash::BuildHasher as _;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::{Account, ConfigError, ConfigErrors, Persona};

/// JSON Lines files of at least this many lines are deferred.
pub const DEFER_FROM: usize = 2_000;

/// Where an entry is: file, line, position among the file's personas.
pub(super) type Place<'a> = (&'a str, u64, usize);

/// The personas in configuration order, with indexes by id and by login.
/// The indexes hold slot numbers only (the keys are read from the slots),
/// so building them allocates no string.
#[derive(Clone, Default)]
pub struct PersonaSet {
    slots: Vec<Slot>,
    by_id: HashTable<u32>,
    /// (slot, account) by (identity provider, login).
    by_login: HashTable<(u32, u8)>,
}

#[derive(Clone)]
pub(super) enum Slot {
    Built(Arc<Persona>),
    /// A file and the number of one of its entries.
    Deferred(Arc<DeferredFile>, u32),
}

/// A large JSON Lines file whose personas are built on demand.
pub(super) struct DeferredFile {
    pub(super) name: String,
    pub(super) text: String,
    /// The identity providers of the configuration, for account checks.
    pub(super) idps: Vec<String>,
    pub(super) entries: Vec<Deferred>,
}

/// A string inside a deferred file's text (no copy, no allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) len: u32,
}

impl Span {
    /// `part`, a slice of `text`, as a span (`None` if it is not inside).
    pub(super) fn within(text: &str, part: &str) -> Option<Span> {
        let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        (start + part.len() <= text.len()).then_some(())?;
        Some(Span {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(part.len()).ok()?,
        })
    }

    pub(super) fn of(self, text: &str) -> &str {
        let start = self.start as usize;
        text.get(start..start + self.len as usize).unwrap_or_default()
    }
}

/// What loading reads from a line it defers: where its id and logins are,
/// and their hashes (computed while the line is in the cache).
pub(super) struct LineRead {
    /// Position among the file's personas (`personas[N]` in messages).
    pub(super) index: usize,
    pub(super) line: u64,
    pub(super) range: Range<usize>,
    pub(super) id: Span,
    pub(super) id_hash: u64,
    /// (identity provider, login, [`login_hash`]) of each account.
    pub(super) logins: Vec<(Span, Span, u64)>,
}

/// One line of a [`DeferredFile`], and its persona once built.
pub(super) struct Deferred {
    pub(super) read: LineRead,
    pub(super) built: OnceLock<Result<Arc<Persona>, Vec<ConfigError>>>,
}

impl DeferredFile {
    fn build<'a>(&self, d: &'a Deferred) -> &'a Result<Arc<Persona>, Vec<ConfigError>> {
        d.built.get_or_init(|| {
            let r = &d.read;
            let text = self.text.get(r.range.clone()).unwrap_or_default();
            super::validate::build_deferred(self, r.index, r.line, text).map(Arc::new)
        })
    }
}

/// The hash the id index uses.
pub(super) fn id_hash(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

/// The hash the login index uses.
pub(super) fn login_hash(idp: &str, login: &str) -> u64 {
    FxBuildHasher.hash_one((idp, login))
}

impl Slot {
    fn deferred(&self) -> Option<(&DeferredFile, &Deferred)> {
        match self {
            Slot::Built(_) => None,
            Slot::Deferred(file, i) => Some((file, file.entries.get(*i as usize)?)),
        }
    }

    fn id(&self) -> &str {
        match (self, self.deferred()) {
            (Slot::Built(p), _) => &p.id,
            (_, Some((file, d))) => d.read.id.of(&file.text),
            _ => "",
        }
    }

    /// The persona, built now if it was deferred; `None` if it is invalid.
    fn persona(&self) -> Option<&Arc<Persona>> {
        match (self, self.deferred()) {
            (Slot::Built(p), _) => Some(p),
            (_, Some((file, d))) => file.build(d).as_ref().ok(),
            _ => None,
        }
    }

    /// Account `j`'s (identity provider, login).
    fn login(&self, j: usize) -> Option<(&str, &str)> {
        match (self, self.deferred()) {
            (Slot::Built(p), _) => p.accounts.get(j).map(|a| (a.idp.as_str(), a.login.as_str())),
            (_, Some((file, d))) => d
                .read
                .logins
                .get(j)
                .map(|(i, l, _)| (i.of(&file.text), l.of(&file.text))),
            _ => None,
        }
    }

    /// [`id_hash`] of the id (kept for deferred personas).
    fn id_hash(&self) -> u64 {
        match (self, self.deferred()) {
            (_, Some((_, d))) => d.read.id_hash,
            _ => id_hash(self.id()),
        }
    }

    /// [`login_hash`] of account `j` (kept for deferred personas).
    fn login_hash(&self, j: usize) -> Option<u64> {
        match (self, self.deferred()) {
            (_, Some((_, d))) => d.read.logins.get(j).map(|l| l.2),
            _ => self.login(j).map(|(idp, login)| login_hash(idp, login)),
        }
    }
}

impl std::fmt::Debug for PersonaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PersonaSet({} personas, {} deferred)", self.len(), self.deferred())
    }
}

impl PersonaSet {
    /// Ids are unique (validation has said so; were they not, the later
    /// entry would win).
    pub(super) fn from_slots(slots: Vec<Slot>) -> Self {
        Self::indexed(slots).0
    }

    /// The set, and every login held twice at one identity provider:
    /// (identity provider, login, first holder's slot, second holder's slot).
    pub(super) fn indexed(slots: Vec<Slot>) -> (Self, Vec<(String, String, u32, u32)>) {
        let id_of = |i: u32| slots.get(i as usize).map_or("", Slot::id);
        let id_hash_of = |i: u32| slots.get(i as usize).map_or(0, Slot::id_hash);
        let login_hash_of = |(i, j): (u32, u8)| {
            slots
                .get(i as usize)
                .and_then(|s| s.login_hash(usize::from(j)))
                .unwrap_or(0)
        };
        let login_of = |(i, j): (u32, u8)| slots.get(i as usize).and_then(|s| s.login(usize::from(j)));
        let numbered = || {
            slots
                .iter()
                .enumerate()
                .map(|(i, slot)| (u32::try_from(i).unwrap_or(u32::MAX), slot))
        };
        let ids = || {
            let mut by_id: HashTable<u32> = HashTable::with_capacity(slots.len());
            for (i, slot) in numbered() {
                let hash = slot.id_hash();
                let id = || slot.id();
                by_id
                    .entry(hash, |&k| id_hash_of(k) == hash && id_of(k) == id(), |&k| id_hash_of(k))
                    .insert(i);
            }
            by_id
        };
        let logins = || {
            let mut by_login: HashTable<(u32, u8)> = HashTable::with_capacity(slots.len() * 2);
            let mut twice = Vec::new();
            for (i, slot) in numbered() {
                for j in 0..=u8::MAX {
                    let Some(hash) = slot.login_hash(usize::from(j)) else {
                        break;
                    };
                    let this = || slot.login(usize::from(j));
                    let entry = by_login.entry(
                        hash,
                        |&k| login_hash_of(k) == hash && login_of(k) == this(),
                        |&k| login_hash_of(k),
                    );
                    if let (hashbrown::hash_table::Entry::Occupied(first), Some((idp, login))) = (&entry, this()) {
                        twice.push((idp.to_owned(), login.to_owned(), first.get().0, i));
                    }
                    entry.insert((i, j));
                }
            }
            (by_login, twice)
        };
        // The two indexes are built side by side when there are many personas.
        let (by_id, (by_login, twice)) = if slots.len() < DEFER_FROM {
            (ids(), logins())
        } else {
            std::thread::scope(|s| {
                let other = s.spawn(logins);
                let by_id = ids();
                (by_id, other.join().unwrap_or_else(|_| logins()))
            })
        };
        (Self { slots, by_id, by_login }, twice)
    }

    /// How many personas, deferred ones included.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many personas have not been built yet.
    pub fn deferred(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.deferred().is_some_and(|(_, d)| d.built.get().is_none()))
            .count()
    }

    /// A persona by id (built now if it was deferred; `None` if unknown or invalid).
    pub fn get(&self, id: &str) -> Option<&Arc<Persona>> {
        self.slot_of(id)?.persona()
    }

    fn slot_of(&self, id: &str) -> Option<&Slot> {
        let i = self.by_id.find(id_hash(id), |&k| {
            self.slots.get(k as usize).is_some_and(|s| s.id() == id)
        })?;
        self.slots.get(*i as usize)
    }

    fn login_slot(&self, idp: &str, login: &str) -> Option<&Slot> {
        let (i, _) = self.by_login.find(login_hash(idp, login), |&(k, j)| {
            self.slots.get(k as usize).and_then(|s| s.login(usize::from(j))) == Some((idp, login))
        })?;
        self.slots.get(*i as usize)
    }

    /// Every valid persona in configuration order, deferred ones built on the way.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Persona>> {
        self.slots.iter().filter_map(Slot::persona)
    }

    /// Every persona id, without building anything.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(Slot::id)
    }

    /// The personas built at load: the only ones that may carry faults, an
    /// RNIPP outcome or a blocked account.
    pub fn eager(&self) -> impl Iterator<Item = &Arc<Persona>> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Built(p) => Some(p),
            Slot::Deferred(..) => None,
        })
    }

    /// The persona holding `login` at identity provider `idp`, and that account.
    pub fn by_login(&self, idp: &str, login: &str) -> Option<(&Arc<Persona>, &Account)> {
        let p = self.login_slot(idp, login)?.persona()?;
        Some((p, p.accounts.iter().find(|a| a.idp == idp && a.login == login)?))
    }

    /// A slot's id, and for a deferred one its file, line and position there.
    pub(super) fn place(&self, slot: u32) -> Option<(&str, Option<Place<'_>>)> {
        let s = self.slots.get(slot as usize)?;
        Some((
            s.id(),
            s.deferred().map(|(f, d)| (f.name.as_str(), d.read.line, d.read.index)),
        ))
    }

    /// Which persona holds `login` at `idp`, without building it.
    pub(super) fn login_holder(&self, idp: &str, login: &str) -> Option<&str> {
        self.login_slot(idp, login).map(Slot::id)
    }

    /// This set with `added` last (an added persona replaces the one with its id).
    pub(super) fn with_added(&self, added: &[Arc<Persona>]) -> Self {
        let replaced: rustc_hash::FxHashSet<&str> = added.iter().map(|p| p.id.as_str()).collect();
        let mut slots: Vec<Slot> = self
            .slots
            .iter()
            .filter(|s| !replaced.contains(s.id()))
            .cloned()
            .collect();
        slots.extend(added.iter().cloned().map(Slot::Built));
        Self::from_slots(slots)
    }

    /// Builds every deferred persona (on two threads) and returns how many
    /// there were, or every error in file order.
    pub fn check_deferred(&self) -> Result<usize, ConfigErrors> {
        let deferred: Vec<(&DeferredFile, &Deferred)> = self.slots.iter().filter_map(Slot::deferred).collect();
        let (first, second) = deferred.split_at(deferred.len() / 2);
        std::thread::scope(|s| {
            s.spawn(|| {
                for (file, d) in second {
                    let _ = file.build(d);
                }
            });
            for (file, d) in first {
                let _ = file.build(d);
            }
        });
        let errors: Vec<ConfigError> = deferred
            .iter()
            .filter_map(|(file, d)| file.build(d).as_ref().err())
            .flatten()
            .cloned()
            .collect();
        if errors.is_empty() {
            Ok(deferred.len())
        } else {
            Err(ConfigErrors(errors))
        }
    }
}

impl<'a> IntoIterator for &'a PersonaSet {
    type Item = &'a Arc<Persona>;
    type IntoIter = Box<dyn Iterator<Item = &'a Arc<Persona>> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}
