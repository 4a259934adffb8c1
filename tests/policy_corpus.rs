//! Conformance of the IAM policy engine on real policies: every AWS managed policy of the
//! shared corpus parses, the two empty files give a clear error, and the engine reaches the
//! conclusions iam-semantics.md lists for well-known policies.
//!
//! The corpus is located through `NOBASTION_CORPUS` or `<manifest>/../shared/corpus`; a
//! fresh clone does not have it, so the tests print a message and pass (CI has it).

use std::path::PathBuf;
use std::sync::Arc;

use nobastion::policy::queries::{self, QueryEnv, Scoping, Verdict};
use nobastion::policy::{ParseErrorKind, Policy, PolicySet};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("NOBASTION_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        PathBuf::from,
    );
    if dir.join("aws-managed-policies/policies").is_dir() {
        Some(dir)
    } else {
        println!(
            "skipping: policy corpus not found at {} (set NOBASTION_CORPUS)",
            dir.display()
        );
        None
    }
}

fn managed(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        std::fs::read_dir(dir.join("aws-managed-policies/policies"))
            .expect("read corpus dir")
            .map(|e| {
                let path = e.expect("dir entry").path();
                let name = path
                    .file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .into_owned();
                (name, std::fs::read_to_string(&path).expect("read policy"))
            })
            .collect();
    out.sort();
    out
}

fn load(dir: &std::path::Path, name: &str) -> Arc<Policy> {
    let text = std::fs::read_to_string(dir.join("aws-managed-policies/policies").join(name))
        .expect("read");
    Arc::new(Policy::parse(&text).expect("parses").with_name(name))
}

#[test]
fn every_managed_policy_parses_and_empty_files_fail_clearly() {
    let Some(dir) = corpus() else { return };
    let files = managed(&dir);
    assert_eq!(files.len(), 1525);
    let mut parsed = 0;
    let mut empty = Vec::new();
    for (name, text) in &files {
        match Policy::parse(text) {
            Ok(policy) => {
                parsed += 1;
                assert!(!policy.statements().is_empty(), "{name}");
                assert!(
                    policy.statements().iter().all(|s| s.position().is_some()),
                    "{name}: every statement has a position"
                );
                // The same document through serde_json: same statements, no positions.
                let value: serde_json::Value = serde_json::from_str(text).expect("json");
                let from_value =
                    Policy::from_value(&value["PolicyVersion"]["Document"]).expect("from_value");
                assert_eq!(
                    from_value.statements().len(),
                    policy.statements().len(),
                    "{name}"
                );
                assert!(
                    from_value
                        .statements()
                        .iter()
                        .all(|s| s.position().is_none())
                );
            }
            Err(e) => {
                assert!(
                    matches!(e.kind(), ParseErrorKind::EmptyDocument),
                    "{name}: {e}"
                );
                assert_eq!(
                    e.to_string(),
                    "1:1: empty document: expected a JSON policy object"
                );
                empty.push(name.clone());
            }
        }
    }
    assert_eq!(parsed, 1523);
    assert_eq!(
        empty,
        [
            "AWSCodePipelineFullAccess",
            "AWSECRPullThroughCacheServiceRolePolicy"
        ]
    );
}

#[test]
fn raw_policies_parse() {
    let Some(dir) = corpus() else { return };
    for sub in [
        "iam-policies/cloudgoat-rollback",
        "iam-policies/third-party-examples",
    ] {
        for entry in std::fs::read_dir(dir.join(sub)).expect("dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            Policy::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

#[test]
fn well_known_managed_policies() {
    let Some(dir) = corpus() else { return };
    let env = QueryEnv::lone_document();
    for name in [
        "AdministratorAccess",
        "PowerUserAccess",
        "AmazonSSMFullAccess",
    ] {
        let set = PolicySet::single(load(&dir, name));
        let scoping = queries::start_session_tag_scoping(&set, &env);
        assert_eq!(scoping.verdict, Verdict::Yes, "{name}: {}", scoping.reason);
        assert_eq!(
            scoping.details.ec2_instance.scoping,
            Scoping::NotScoped,
            "{name}"
        );
        assert!(
            scoping.reason.contains(name),
            "{name}: the reason names the policy: {}",
            scoping.reason
        );
        let ending = queries::end_others_sessions(&set, &env);
        assert_eq!(ending.verdict, Verdict::Yes, "{name}: {}", ending.reason);
        assert_eq!(
            ending.details.terminate_others.verdict,
            Verdict::Yes,
            "{name}"
        );
    }

    let core = PolicySet::single(load(&dir, "AmazonSSMManagedInstanceCore"));
    let scoping = queries::start_session_tag_scoping(&core, &env);
    assert_eq!(scoping.verdict, Verdict::No, "{}", scoping.reason);
    assert_eq!(scoping.details.ec2_instance.scoping, Scoping::NoAccess);
    assert_eq!(
        queries::end_others_sessions(&core, &env).verdict,
        Verdict::No
    );

    for name in [
        "AWSCloud9Administrator",
        "AWSCloud9EnvironmentMember",
        "AWSCloud9User",
    ] {
        let set = PolicySet::single(load(&dir, name));
        let scoping = queries::start_session_tag_scoping(&set, &env);
        let ec2 = &scoping.details.ec2_instance;
        assert_eq!(
            ec2.scoping,
            Scoping::PresenceOnly,
            "{name}: {}",
            scoping.reason
        );
        assert_eq!(ec2.tag_keys, ["aws:cloud9:environment"], "{name}");
        // Only through Cloud9 (aws:CalledViaFirst), which the scanner cannot know.
        assert_eq!(
            scoping.verdict,
            Verdict::Conditional,
            "{name}: {}",
            scoping.reason
        );
        let residual = scoping
            .conditional
            .as_ref()
            .expect("residual conditions")
            .to_string();
        assert!(
            residual.contains("aws:CalledViaFirst"),
            "{name}: {residual}"
        );
        // Every session document is granted.
        let docs = queries::session_documents(&set, &env);
        for d in &docs.details.documents {
            assert_eq!(d.document_allowed, Verdict::Yes, "{name}: {}", d.document);
        }
    }
    for name in ["AWSCloud9SSMInstanceProfile", "AWSCloud9ServiceRolePolicy"] {
        let set = PolicySet::single(load(&dir, name));
        let scoping = queries::start_session_tag_scoping(&set, &env);
        assert_eq!(
            scoping.details.ec2_instance.scoping,
            Scoping::NoAccess,
            "{name}"
        );
    }
}

#[test]
fn all_queries_run_on_every_managed_policy() {
    let Some(dir) = corpus() else { return };
    let env = QueryEnv::lone_document();
    let mut yes = [0usize; 7];
    for (name, text) in managed(&dir) {
        let Ok(policy) = Policy::parse(&text) else {
            continue;
        };
        let set = PolicySet::single(policy.with_name(name.as_str()));
        let a = queries::all(&set, &env);
        let verdicts = [
            a.tag_scoping.verdict,
            a.end_others_sessions.verdict,
            a.session_documents.verdict,
            a.send_command_shell.verdict,
            a.instance_connect.verdict,
            a.preferences_tamper.verdict,
            a.without_mfa.verdict,
        ];
        for (count, v) in yes.iter_mut().zip(verdicts) {
            if v == Verdict::Yes {
                *count += 1;
            }
            assert_ne!(v, Verdict::Indeterminate, "{name}");
        }
        // "Yes" answers always name a statement.
        if a.tag_scoping.verdict == Verdict::Yes {
            assert!(!a.tag_scoping.statements.is_empty(), "{name}");
        }
    }
    println!("managed policies answering yes per query: {yes:?}");
    // Broad policies exist for every question but the self-scoping one.
    assert!(yes.iter().all(|&n| n > 0), "{yes:?}");
}
