//! The request side of an evaluation: the action, the resource ARN and the condition
//! context, whose keys are three-valued.
//!
//! A context key is *known* (one value or, for multivalued keys such as `aws:TagKeys`, a
//! list), *absent* (AWS would not put it in the request), or *unknown* (it would be there,
//! but the scanner cannot know its value at scan time: `aws:SourceIp`, `aws:CurrentTime`,
//! `aws:MultiFactorAuthPresent` of a future session...). `nobastion simulate` and the
//! differential test use known/absent only, like AWS's simulator; the query module and the
//! access map mark what they cannot know as unknown and get "allowed if ..." answers back.
//!
//! Keys are case-insensitive (stored lowercased); values are case-sensitive.

use std::fmt;

use super::arn::Arn;

/// A known context value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum ContextValue {
    /// A single-valued key.
    Single(String),
    /// A multivalued key (`ArrayOf...` in the Service Authorization Reference). Without a
    /// `ForAllValues:`/`ForAnyValue:` prefix, conditions on it do not match.
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice (one element for a single-valued key).
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(v) => std::slice::from_ref(v),
            ContextValue::Multi(v) => v,
        }
    }
}

impl From<&str> for ContextValue {
    fn from(v: &str) -> Self {
        ContextValue::Single(v.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(v: String) -> Self {
        ContextValue::Single(v)
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(v: Vec<String>) -> Self {
        ContextValue::Multi(v)
    }
}

/// What the evaluator learns about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState<'a> {
    Known(&'a ContextValue),
    Absent,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Known(ContextValue),
    Absent,
    Unknown,
}

/// What keys without an entry or matching prefix rule are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlisted {
    /// AWS simulator semantics: what is not given is not in the request.
    Absent,
    /// Scan-time semantics: what is not given may be anything.
    Unknown,
}

/// A request context. Cheap to look up (sorted keys, binary search); build one per request
/// shape and reuse it across evaluations.
#[derive(Clone, PartialEq, Eq)]
pub struct Context {
    entries: Vec<(Box<str>, Entry)>,
    /// Prefix rules (`aws:principaltag/` → unknown), longest match wins.
    prefixes: Vec<(Box<str>, Entry)>,
    /// When set, keys of services other than `aws` and these (lowercase) are absent: a
    /// request to one service never carries another service's keys.
    own_services: Option<Vec<Box<str>>>,
    unlisted: Unlisted,
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (k, e) in &self.entries {
            map.entry(k, e);
        }
        for (k, e) in &self.prefixes {
            map.entry(&format!("{k}*"), e);
        }
        map.entry(&"<unlisted>", &self.unlisted);
        map.finish()
    }
}

impl Context {
    /// An empty context in which unlisted keys are absent (AWS simulator semantics).
    pub fn new() -> Self {
        Context {
            entries: Vec::new(),
            prefixes: Vec::new(),
            own_services: None,
            unlisted: Unlisted::Absent,
        }
    }

    /// An empty context in which unlisted keys are unknown (scan-time semantics).
    pub fn scan_time() -> Self {
        Context {
            unlisted: Unlisted::Unknown,
            ..Context::new()
        }
    }

    pub fn unlisted(&self) -> Unlisted {
        self.unlisted
    }

    fn put(&mut self, key: &str, entry: Entry) {
        let key = key.to_lowercase();
        match self.entries.binary_search_by(|(k, _)| (**k).cmp(&key)) {
            Ok(i) => self.entries[i].1 = entry,
            Err(i) => self.entries.insert(i, (key.into_boxed_str(), entry)),
        }
    }

    /// Sets a known value (replacing any earlier entry for the key).
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) -> &mut Self {
        self.put(key, Entry::Known(value.into()));
        self
    }

    /// Builder form of [`Context::insert`].
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.insert(key, value);
        self
    }

    /// Marks a key as not present in the request.
    pub fn set_absent(&mut self, key: &str) -> &mut Self {
        self.put(key, Entry::Absent);
        self
    }

    /// Marks a key as present with a value the scanner cannot know.
    pub fn set_unknown(&mut self, key: &str) -> &mut Self {
        self.put(key, Entry::Unknown);
        self
    }

    fn put_prefix(&mut self, prefix: &str, entry: Entry) {
        let prefix = prefix.to_lowercase();
        if let Some(slot) = self.prefixes.iter_mut().find(|(p, _)| **p == *prefix) {
            slot.1 = entry;
        } else {
            self.prefixes.push((prefix.into_boxed_str(), entry));
        }
    }

    /// Every key starting with `prefix` (e.g. `aws:PrincipalTag/`) without its own entry is
    /// unknown.
    pub fn set_unknown_prefix(&mut self, prefix: &str) -> &mut Self {
        self.put_prefix(prefix, Entry::Unknown);
        self
    }

    /// Every key starting with `prefix` without its own entry is absent.
    pub fn set_absent_prefix(&mut self, prefix: &str) -> &mut Self {
        self.put_prefix(prefix, Entry::Absent);
        self
    }

    /// Makes keys of every service other than `aws` and `services` absent (unless listed):
    /// `kms:ViaService` cannot be in an `ssm:StartSession` request.
    pub fn set_other_services_absent(&mut self, services: &[&str]) -> &mut Self {
        self.own_services = Some(
            services
                .iter()
                .map(|s| s.to_lowercase().into_boxed_str())
                .collect(),
        );
        self
    }

    /// Copies the entries and prefix rules of `other` over this context's.
    pub(crate) fn extend_from(&mut self, other: &Context) {
        for (key, entry) in &other.entries {
            self.put(key, entry.clone());
        }
        for (prefix, entry) in &other.prefixes {
            self.put_prefix(prefix, entry.clone());
        }
    }

    /// Looks a key up (any case).
    pub fn get(&self, key: &str) -> KeyState<'_> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
            self.lookup(&key.to_lowercase())
        } else {
            self.lookup(key)
        }
    }

    /// Looks up a lowercased key: own entries, then prefix rules, then the unlisted default.
    pub(crate) fn lookup(&self, key: &str) -> KeyState<'_> {
        self.lookup_listed(key).unwrap_or(self.lookup_unlisted())
    }

    fn lookup_unlisted(&self) -> KeyState<'static> {
        match self.unlisted {
            Unlisted::Absent => KeyState::Absent,
            Unlisted::Unknown => KeyState::Unknown,
        }
    }

    fn lookup_listed(&self, key: &str) -> Option<KeyState<'_>> {
        if let Ok(i) = self.entries.binary_search_by(|(k, _)| (**k).cmp(key)) {
            return Some(state(&self.entries[i].1));
        }
        let by_prefix = self
            .prefixes
            .iter()
            .filter(|(p, _)| key.starts_with(&**p))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, e)| state(e));
        if by_prefix.is_some() {
            return by_prefix;
        }
        let own = self.own_services.as_ref()?;
        let service = key.split_once(':').map_or(key, |(s, _)| s);
        (service != "aws" && !own.iter().any(|o| **o == *service)).then_some(KeyState::Absent)
    }

    /// The known entries, lowercased keys, in key order.
    pub fn known(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().filter_map(|(k, e)| match e {
            Entry::Known(v) => Some((&**k, v)),
            _ => None,
        })
    }
}

fn state(entry: &Entry) -> KeyState<'_> {
    match entry {
        Entry::Known(v) => KeyState::Known(v),
        Entry::Absent => KeyState::Absent,
        Entry::Unknown => KeyState::Unknown,
    }
}

/// An action name such as `ssm:StartSession`, pre-split and lowercased for matching.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionName {
    name: Box<str>,
    lower: Box<str>,
    colon: usize,
}

/// An action name that is not `service:Action`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid action name \"{0}\": expected service:Action, e.g. ssm:StartSession")]
pub struct BadActionName(pub String);

impl ActionName {
    pub fn new(name: &str) -> Result<ActionName, BadActionName> {
        let colon = name
            .find(':')
            .ok_or_else(|| BadActionName(name.to_owned()))?;
        let (service, action) = (&name[..colon], &name[colon + 1..]);
        let valid = |s: &str| {
            !s.is_empty() && !s.contains([':', '*', '?']) && !s.contains(char::is_whitespace)
        };
        if !valid(service) || !valid(action) {
            return Err(BadActionName(name.to_owned()));
        }
        // Lowercasing can change byte lengths outside ASCII: find the colon again.
        let lower = name.to_lowercase();
        let colon = lower
            .find(':')
            .ok_or_else(|| BadActionName(name.to_owned()))?;
        Ok(ActionName {
            name: name.into(),
            lower: lower.into(),
            colon,
        })
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The service prefix, lowercased.
    pub fn service(&self) -> &str {
        &self.lower[..self.colon]
    }

    /// The action part, lowercased.
    pub(crate) fn action_lower(&self) -> &str {
        &self.lower[self.colon + 1..]
    }
}

impl fmt::Display for ActionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// One authorization request: action, resource and context. Borrowing, so building one in a
/// loop costs nothing beyond splitting the ARN.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub(crate) action: &'a ActionName,
    pub(crate) resource: &'a str,
    pub(crate) arn: Option<Arn<'a>>,
    context: &'a Context,
    base: Option<&'a Context>,
    principal: Option<&'a Context>,
}

impl<'a> Request<'a> {
    pub fn new(action: &'a ActionName, resource: &'a str, context: &'a Context) -> Self {
        Request {
            action,
            resource,
            arn: Arn::parse(resource),
            context,
            base: None,
            principal: None,
        }
    }

    /// Adds a context consulted for keys the request's own context does not list (e.g. the
    /// principal's keys, shared by every request of that principal).
    #[must_use]
    pub fn with_base_context(mut self, base: &'a Context) -> Self {
        self.base = Some(base);
        self
    }

    pub fn action(&self) -> &ActionName {
        self.action
    }

    pub fn resource(&self) -> &str {
        self.resource
    }

    /// Adds the principal's derived keys, consulted last (the evaluator does this).
    pub(crate) fn with_principal_context(mut self, principal: &'a Context) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Looks up a lowercased key: the request's own context, then the base context, then
    /// the principal's keys; unlisted keys follow the base context's setting (or the own
    /// context's when there is no base).
    pub(crate) fn key(&self, key: &str) -> KeyState<'a> {
        let layers = [Some(self.context), self.base, self.principal];
        for ctx in layers.into_iter().flatten() {
            if let Some(state) = ctx.lookup_listed(key) {
                return state;
            }
        }
        self.base.unwrap_or(self.context).lookup_unlisted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_three_valued() {
        let mut ctx = Context::new();
        ctx.insert("aws:SourceIp", "10.0.0.1")
            .set_unknown("aws:CurrentTime")
            .set_unknown_prefix("aws:PrincipalTag/");
        assert_eq!(
            ctx.get("AWS:SOURCEIP"),
            KeyState::Known(&ContextValue::Single("10.0.0.1".into()))
        );
        assert_eq!(ctx.get("aws:currenttime"), KeyState::Unknown);
        assert_eq!(ctx.get("aws:PrincipalTag/team"), KeyState::Unknown);
        assert_eq!(ctx.get("aws:username"), KeyState::Absent);
        assert_eq!(Context::scan_time().get("aws:username"), KeyState::Unknown);
    }

    #[test]
    fn longest_prefix_wins_and_entries_beat_prefixes() {
        let mut ctx = Context::scan_time();
        ctx.set_absent_prefix("ssm:resourcetag/")
            .set_unknown_prefix("ssm:resourceTag/aws:")
            .insert("ssm:resourceTag/Env", "prod");
        assert_eq!(ctx.get("ssm:resourcetag/team"), KeyState::Absent);
        assert_eq!(ctx.get("ssm:resourcetag/aws:x"), KeyState::Unknown);
        assert!(matches!(ctx.get("ssm:resourcetag/env"), KeyState::Known(_)));
    }

    #[test]
    fn other_services_keys_can_be_absent() {
        let mut ctx = Context::scan_time();
        ctx.set_other_services_absent(&["ssm"]);
        assert_eq!(ctx.get("kms:ViaService"), KeyState::Absent);
        assert_eq!(ctx.get("ssm:Overwrite"), KeyState::Unknown);
        assert_eq!(ctx.get("aws:SourceIp"), KeyState::Unknown);
    }

    #[test]
    fn base_context_fills_gaps() {
        let action = ActionName::new("ssm:StartSession").expect("valid");
        let own = Context::new().with("a", "1");
        let base = Context::scan_time().with("b", "2");
        let req =
            Request::new(&action, "arn:aws:ec2:r:1:instance/i", &own).with_base_context(&base);
        assert!(matches!(req.key("a"), KeyState::Known(_)));
        assert!(matches!(req.key("b"), KeyState::Known(_)));
        assert_eq!(req.key("c"), KeyState::Unknown);
    }

    #[test]
    fn action_names() {
        let a = ActionName::new("SSM:StartSession").expect("valid");
        assert_eq!(a.service(), "ssm");
        assert_eq!(a.action_lower(), "startsession");
        assert_eq!(a.as_str(), "SSM:StartSession");
        for bad in [
            "ssm",
            "ssm:",
            ":x",
            "ssm:Start*",
            "a:b:c",
            "ssm:Start Session",
        ] {
            assert!(ActionName::new(bad).is_err(), "{bad}");
        }
    }
}
