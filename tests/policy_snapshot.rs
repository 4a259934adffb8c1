//! The engine on the demo snapshot: per-principal policy sets assembled from the model
//! (users with their groups, roles with attached managed policies) answer the Session
//! Manager questions the way the demo account is meant to show.

use std::path::Path;

use nobastion::model::{Section, Snapshot};
use nobastion::policy::queries::{self, QueryEnv, Scoping, Verdict};
use nobastion::policy::{AccountPolicies, SetProblem};

#[test]
fn demo_account_principals() {
    let snapshot =
        Snapshot::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-snapshot.json"))
            .expect("demo snapshot");
    let account = &snapshot.accounts[0];
    let Section::Collected(iam) = &account.iam else {
        panic!("demo IAM is collected")
    };
    let policies = AccountPolicies::new(&account.id, iam, &account.organization);
    let env = QueryEnv::account(&account.partition, &account.id);

    let alice = policies.user(iam.users.iter().find(|u| u.name == "alice").expect("alice"));
    // The demo's organization could not be read: the set says so.
    assert_eq!(alice.problems, [SetProblem::OrganizationUnknown]);
    let a = queries::start_session_tag_scoping(&alice.set, &env);
    assert_eq!(a.verdict, Verdict::Yes, "{}", a.reason);
    assert!(
        a.reason.contains("start-anywhere (inline, user alice)"),
        "{}",
        a.reason
    );
    assert_eq!(
        queries::end_others_sessions(&alice.set, &env).verdict,
        Verdict::Yes
    );

    let bob = policies.user(iam.users.iter().find(|u| u.name == "bob").expect("bob"));
    let a = queries::start_session_tag_scoping(&bob.set, &env);
    assert_eq!(
        a.details.ec2_instance.scoping,
        Scoping::Scoped,
        "{}",
        a.reason
    );
    assert_eq!(a.details.ec2_instance.scoped_by[0].values, ["prod"]);
    assert!(
        a.reason.contains("ops-sessions (inline, group ops)"),
        "{}",
        a.reason
    );
    let ending = queries::end_others_sessions(&bob.set, &env);
    assert_eq!(
        (ending.verdict, ending.details.terminate_own),
        (Verdict::No, Verdict::Yes),
        "{}",
        ending.reason
    );

    let role = |name: &str| policies.role(iam.roles.iter().find(|r| r.name == name).expect("role"));
    let bastion = role("legacy-bastion");
    assert_eq!(
        queries::start_session_tag_scoping(&bastion.set, &env).verdict,
        Verdict::Yes
    );
    let app = role("app-instance");
    assert_eq!(
        queries::start_session_tag_scoping(&app.set, &env).verdict,
        Verdict::No
    );
    assert_eq!(
        app.set.identity_policies()[0].name(),
        "AmazonSSMManagedInstanceCore"
    );
}
