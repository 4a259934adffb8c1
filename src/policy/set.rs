//! Who is asking and which policies apply to them: [`Principal`] facts and the
//! [`PolicySet`] the evaluator and the Session Manager queries work on.
//!
//! A policy set holds the identity policies (a user's inline and attached policies plus
//! those of every group, or a role's inline and attached policies), an optional permission
//! boundary, the SCP levels from the root OU down to the account (each a list of policies,
//! every level must allow) and an optional session policy. Policies are shared through
//! `Arc`, so the thousand roles that attach `AdministratorAccess` hold one copy of it.
//! The collectors and ingesters build these; the rules and the access map consume them.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::context::Context;
use super::document::Policy;

/// What kind of principal makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    User,
    Role,
    AssumedRole,
    FederatedUser,
    Root,
    Unknown,
}

/// Facts about the principal, from which the `aws:username`, `aws:userid`,
/// `aws:PrincipalArn` and `aws:PrincipalAccount` context keys are derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    arn: Option<String>,
    kind: PrincipalKind,
    /// User or role name (the last path segment).
    name: Option<String>,
    /// Role session name (assumed roles) .
    session_name: Option<String>,
    userid: Option<String>,
    account: Option<String>,
    partition: Option<String>,
    service_linked: bool,
}

/// A principal ARN nobastion cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid principal ARN \"{0}\": expected arn:aws:iam::ACCOUNT:user/NAME, …:role/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, …:federated-user/NAME or …:root"
)]
pub struct BadPrincipalArn(pub String);

impl Principal {
    /// A principal about whom nothing is known: no principal keys are derived.
    pub fn unknown() -> Principal {
        Principal {
            arn: None,
            kind: PrincipalKind::Unknown,
            name: None,
            session_name: None,
            userid: None,
            account: None,
            partition: None,
            service_linked: false,
        }
    }

    /// Reads an IAM or STS principal ARN. The unique ID (`aws:userid`) cannot be read from an
    /// ARN; a deterministic placeholder (`AIDA…`/`AROA…` derived from the ARN) stands in until
    /// [`Principal::with_userid`] gives the real one.
    pub fn from_arn(arn: &str) -> Result<Principal, BadPrincipalArn> {
        let bad = || BadPrincipalArn(arn.to_owned());
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, _region, account, resource] = parts.as_slice() else {
            return Err(bad());
        };
        if *prefix != "arn"
            || partition.is_empty()
            || account.is_empty()
            || !account.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let mut p = Principal {
            arn: Some(arn.to_owned()),
            account: Some((*account).to_owned()),
            partition: Some((*partition).to_owned()),
            ..Principal::unknown()
        };
        let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
        match (*service, kind) {
            ("iam", "root") if rest.is_empty() => p.kind = PrincipalKind::Root,
            ("iam", "user") if !rest.is_empty() => {
                p.kind = PrincipalKind::User;
                p.name = rest.rsplit('/').next().map(str::to_owned);
                p.userid = Some(placeholder_id("AIDA", arn));
            }
            ("iam", "role") if !rest.is_empty() => {
                p.kind = PrincipalKind::Role;
                p.name = rest.rsplit('/').next().map(str::to_owned);
                p.service_linked = rest.starts_with("aws-service-role/");
                p.userid = Some(placeholder_id("AROA", arn));
            }
            ("sts", "assumed-role") => {
                let (role, session) = rest.split_once('/').ok_or_else(bad)?;
                if role.is_empty() || session.is_empty() {
                    return Err(bad());
                }
                p.kind = PrincipalKind::AssumedRole;
                p.name = Some(role.to_owned());
                p.session_name = Some(session.to_owned());
                let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
                p.userid = Some(format!("{}:{session}", placeholder_id("AROA", &role_arn)));
            }
            ("sts", "federated-user") if !rest.is_empty() => {
                p.kind = PrincipalKind::FederatedUser;
                p.name = Some(rest.to_owned());
                p.userid = Some(format!("{account}:{rest}"));
            }
            _ => return Err(bad()),
        }
        if p.name.as_deref().is_some_and(str::is_empty) {
            return Err(bad());
        }
        Ok(p)
    }

    /// Sets the real unique ID (`AIDA…`, or `AROA…:session` for role sessions).
    #[must_use]
    pub fn with_userid(mut self, userid: impl Into<String>) -> Self {
        self.userid = Some(userid.into());
        self
    }

    /// Marks a service-linked role (SCPs do not apply to it).
    #[must_use]
    pub fn with_service_linked(mut self, service_linked: bool) -> Self {
        self.service_linked = service_linked;
        self
    }

    pub fn arn(&self) -> Option<&str> {
        self.arn.as_deref()
    }

    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// User name or role name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The IAM user name (`aws:username`); `None` for everything but IAM users.
    pub fn username(&self) -> Option<&str> {
        match self.kind {
            PrincipalKind::User => self.name.as_deref(),
            _ => None,
        }
    }

    pub fn session_name(&self) -> Option<&str> {
        self.session_name.as_deref()
    }

    pub fn userid(&self) -> Option<&str> {
        self.userid.as_deref()
    }

    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    pub fn partition(&self) -> Option<&str> {
        self.partition.as_deref()
    }

    pub fn is_service_linked(&self) -> bool {
        self.service_linked
    }

    /// `aws:PrincipalArn`: for role sessions, the role's ARN.
    pub fn principal_arn(&self) -> Option<String> {
        match (self.kind, &self.arn) {
            (PrincipalKind::AssumedRole, Some(_)) => Some(format!(
                "arn:{}:iam::{}:role/{}",
                self.partition.as_deref().unwrap_or("aws"),
                self.account.as_deref().unwrap_or(""),
                self.name.as_deref().unwrap_or("")
            )),
            (_, arn) => arn.clone(),
        }
    }

    /// The context keys derived from the principal (only those it knows). `aws:username`
    /// is marked absent for known principals that are not IAM users: AWS does not set it
    /// for roles, so `${aws:username}` resolves to nothing for them.
    pub fn context(&self) -> Context {
        let mut ctx = Context::new();
        if let Some(name) = self.username() {
            ctx.insert("aws:username", name);
        } else if self.kind != PrincipalKind::Unknown {
            ctx.set_absent("aws:username");
        }
        if let Some(id) = &self.userid {
            ctx.insert("aws:userid", id.as_str());
        }
        if let Some(arn) = self.principal_arn() {
            ctx.insert("aws:PrincipalArn", arn);
        }
        if let Some(account) = &self.account {
            ctx.insert("aws:PrincipalAccount", account.as_str());
        }
        ctx
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.arn {
            Some(arn) => f.write_str(arn),
            None => f.write_str("an unspecified principal"),
        }
    }
}

/// A stable stand-in for a unique ID: prefix + 17 characters of the ARN's SHA-256 in the
/// alphabet AWS uses for IDs.
fn placeholder_id(prefix: &str, arn: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(arn.as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("{prefix}{tail}")
}

/// One SCP level (an OU, or the account itself): every level must allow.
#[derive(Debug, Clone)]
pub struct ScpLevel {
    /// The OU or account id, for messages.
    pub name: Option<String>,
    pub policies: Vec<Arc<Policy>>,
}

/// The policies that govern one principal's requests.
#[derive(Debug, Clone)]
pub struct PolicySet {
    principal: Principal,
    principal_context: Context,
    identity: Vec<Arc<Policy>>,
    boundary: Option<Arc<Policy>>,
    scps: Vec<ScpLevel>,
    session: Option<Arc<Policy>>,
}

impl PolicySet {
    pub fn new(principal: Principal) -> PolicySet {
        PolicySet {
            principal_context: principal.context(),
            principal,
            identity: Vec::new(),
            boundary: None,
            scps: Vec::new(),
            session: None,
        }
    }

    /// A set for linting one document on its own: the document is the only identity policy
    /// and nothing is known about the principal.
    pub fn single(policy: impl Into<Arc<Policy>>) -> PolicySet {
        PolicySet::new(Principal::unknown()).with_identity(policy)
    }

    /// Adds an identity policy (user inline/managed, group policies, role policies).
    pub fn add_identity(&mut self, policy: impl Into<Arc<Policy>>) -> &mut Self {
        self.identity.push(policy.into());
        self
    }

    #[must_use]
    pub fn with_identity(mut self, policy: impl Into<Arc<Policy>>) -> Self {
        self.add_identity(policy);
        self
    }

    pub fn set_boundary(&mut self, policy: impl Into<Arc<Policy>>) -> &mut Self {
        self.boundary = Some(policy.into());
        self
    }

    #[must_use]
    pub fn with_boundary(mut self, policy: impl Into<Arc<Policy>>) -> Self {
        self.set_boundary(policy);
        self
    }

    /// Appends an SCP level below the existing ones (call for the root OU first).
    pub fn add_scp_level(&mut self, name: Option<String>, policies: Vec<Arc<Policy>>) -> &mut Self {
        self.scps.push(ScpLevel { name, policies });
        self
    }

    #[must_use]
    pub fn with_scp_level(mut self, policies: Vec<Arc<Policy>>) -> Self {
        self.add_scp_level(None, policies);
        self
    }

    pub fn set_session_policy(&mut self, policy: impl Into<Arc<Policy>>) -> &mut Self {
        self.session = Some(policy.into());
        self
    }

    #[must_use]
    pub fn with_session_policy(mut self, policy: impl Into<Arc<Policy>>) -> Self {
        self.set_session_policy(policy);
        self
    }

    /// Replaces the principal (and the context keys derived from it).
    pub fn set_principal(&mut self, principal: Principal) -> &mut Self {
        self.principal_context = principal.context();
        self.principal = principal;
        self
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The context keys derived from the principal; consulted after the request's own keys.
    pub fn principal_context(&self) -> &Context {
        &self.principal_context
    }

    pub fn identity_policies(&self) -> &[Arc<Policy>] {
        &self.identity
    }

    pub fn boundary(&self) -> Option<&Arc<Policy>> {
        self.boundary.as_ref()
    }

    pub fn scp_levels(&self) -> &[ScpLevel] {
        &self.scps
    }

    pub fn session_policy(&self) -> Option<&Arc<Policy>> {
        self.session.as_ref()
    }

    /// Every policy with the layer it sits in, in evaluation order. SCPs are skipped for
    /// service-linked roles, which they do not govern.
    pub(crate) fn layers(&self) -> impl Iterator<Item = (super::eval::Layer, &[Arc<Policy>])> {
        use super::eval::Layer;
        let scps: &[ScpLevel] = if self.principal.service_linked {
            &[]
        } else {
            &self.scps
        };
        std::iter::once((Layer::Identity, self.identity.as_slice()))
            .chain(
                self.boundary
                    .iter()
                    .map(|b| (Layer::PermissionBoundary, std::slice::from_ref(b))),
            )
            .chain(
                scps.iter()
                    .enumerate()
                    .map(|(level, l)| (Layer::Scp { level }, l.policies.as_slice())),
            )
            .chain(
                self.session
                    .iter()
                    .map(|s| (Layer::SessionPolicy, std::slice::from_ref(s))),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::context::{ContextValue, KeyState};

    #[test]
    fn principals_from_arns() {
        let user = Principal::from_arn("arn:aws:iam::111122223333:user/dev/alice").expect("user");
        assert_eq!(user.kind(), PrincipalKind::User);
        assert_eq!(user.username(), Some("alice"));
        assert!(
            user.userid()
                .is_some_and(|id| id.starts_with("AIDA") && id.len() == 21)
        );
        let ctx = user.context();
        assert_eq!(
            ctx.get("aws:username"),
            KeyState::Known(&ContextValue::Single("alice".into()))
        );
        assert_eq!(
            ctx.get("aws:PrincipalAccount"),
            KeyState::Known(&ContextValue::Single("111122223333".into()))
        );

        let session =
            Principal::from_arn("arn:aws:sts::111122223333:assumed-role/Ops/alice@corp.com")
                .expect("session");
        assert_eq!(session.kind(), PrincipalKind::AssumedRole);
        assert_eq!(session.username(), None);
        assert_eq!(
            session.principal_arn().as_deref(),
            Some("arn:aws:iam::111122223333:role/Ops")
        );
        assert!(
            session
                .userid()
                .is_some_and(|id| id.starts_with("AROA") && id.ends_with(":alice@corp.com"))
        );
        assert_eq!(session.context().get("aws:username"), KeyState::Absent);

        let slr = Principal::from_arn("arn:aws:iam::111122223333:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM")
            .expect("role");
        assert!(slr.is_service_linked());
        assert_eq!(
            Principal::from_arn("arn:aws:iam::111122223333:root")
                .expect("root")
                .kind(),
            PrincipalKind::Root
        );
        for bad in [
            "alice",
            "arn:aws:iam::x:user/a",
            "arn:aws:s3:::b",
            "arn:aws:iam::1:user/",
            "arn:aws:sts::1:assumed-role/r",
        ] {
            assert!(Principal::from_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn placeholder_ids_are_stable_and_distinct() {
        assert_eq!(placeholder_id("AIDA", "a"), placeholder_id("AIDA", "a"));
        assert_ne!(placeholder_id("AIDA", "a"), placeholder_id("AIDA", "b"));
        let real = Principal::from_arn("arn:aws:iam::1:user/a")
            .expect("user")
            .with_userid("AIDAREAL");
        assert_eq!(real.userid(), Some("AIDAREAL"));
    }
}
