//! The AWS managed policies that matter for Session Manager, bundled with their real
//! documents so that IaC attaching them by ARN (`arn:aws:iam::aws:policy/AmazonSSMFullAccess`)
//! can be judged offline.
//!
//! Used by the ingest builder when a principal attaches an AWS managed policy: a bundled one
//! is added to the account's `iam.policies` (`aws_managed: true`); any other AWS managed
//! policy is not in the input, so the principal's `unknown["attached_policies"]` says so and
//! the IAM rules report not-assessed instead of guessing.
//!
//! Source: the AWS managed policies published by AWS, as captured in zoph-io/MAMIP at commit
//! 0387244e (2026-03-07), `get-policy-version` output of each policy's default version. Each
//! file under `aws_managed/` keeps `VersionId` and `CreateDate`; the version list is in
//! docs/lint.md. Refresh by copying newer documents from the same source.

use serde::Deserialize;
use serde_json::Value;

use crate::model::arn::Arn;

/// One bundled policy: name, IAM path and the embedded `{VersionId, CreateDate, Document}`.
struct Bundled {
    name: &'static str,
    path: &'static str,
    text: &'static str,
}

const BUNDLED: &[Bundled] = &[
    Bundled {
        name: "AdministratorAccess",
        path: "/",
        text: include_str!("aws_managed/AdministratorAccess.json"),
    },
    Bundled {
        name: "PowerUserAccess",
        path: "/",
        text: include_str!("aws_managed/PowerUserAccess.json"),
    },
    Bundled {
        name: "ReadOnlyAccess",
        path: "/",
        text: include_str!("aws_managed/ReadOnlyAccess.json"),
    },
    Bundled {
        name: "ViewOnlyAccess",
        path: "/job-function/",
        text: include_str!("aws_managed/ViewOnlyAccess.json"),
    },
    Bundled {
        name: "SystemAdministrator",
        path: "/job-function/",
        text: include_str!("aws_managed/SystemAdministrator.json"),
    },
    Bundled {
        name: "AmazonSSMFullAccess",
        path: "/",
        text: include_str!("aws_managed/AmazonSSMFullAccess.json"),
    },
    Bundled {
        name: "AmazonSSMReadOnlyAccess",
        path: "/",
        text: include_str!("aws_managed/AmazonSSMReadOnlyAccess.json"),
    },
    Bundled {
        name: "AmazonSSMManagedInstanceCore",
        path: "/",
        text: include_str!("aws_managed/AmazonSSMManagedInstanceCore.json"),
    },
    Bundled {
        name: "AmazonSSMManagedEC2InstanceDefaultPolicy",
        path: "/",
        text: include_str!("aws_managed/AmazonSSMManagedEC2InstanceDefaultPolicy.json"),
    },
    Bundled {
        name: "AmazonEC2RoleforSSM",
        path: "/service-role/",
        text: include_str!("aws_managed/AmazonEC2RoleforSSM.json"),
    },
    Bundled {
        name: "AmazonSSMAutomationRole",
        path: "/service-role/",
        text: include_str!("aws_managed/AmazonSSMAutomationRole.json"),
    },
    Bundled {
        name: "AmazonSSMAutomationApproverAccess",
        path: "/",
        text: include_str!("aws_managed/AmazonSSMAutomationApproverAccess.json"),
    },
    Bundled {
        name: "AmazonSSMPatchAssociation",
        path: "/",
        text: include_str!("aws_managed/AmazonSSMPatchAssociation.json"),
    },
    Bundled {
        name: "AmazonSSMDirectoryServiceAccess",
        path: "/",
        text: include_str!("aws_managed/AmazonSSMDirectoryServiceAccess.json"),
    },
    Bundled {
        name: "AmazonSSMMaintenanceWindowRole",
        path: "/service-role/",
        text: include_str!("aws_managed/AmazonSSMMaintenanceWindowRole.json"),
    },
    Bundled {
        name: "AWSCloud9User",
        path: "/",
        text: include_str!("aws_managed/AWSCloud9User.json"),
    },
    Bundled {
        name: "AWSCloud9Administrator",
        path: "/",
        text: include_str!("aws_managed/AWSCloud9Administrator.json"),
    },
    Bundled {
        name: "AWSCloud9EnvironmentMember",
        path: "/",
        text: include_str!("aws_managed/AWSCloud9EnvironmentMember.json"),
    },
    Bundled {
        name: "AWSCloud9SSMInstanceProfile",
        path: "/",
        text: include_str!("aws_managed/AWSCloud9SSMInstanceProfile.json"),
    },
    Bundled {
        name: "EC2InstanceConnect",
        path: "/",
        text: include_str!("aws_managed/EC2InstanceConnect.json"),
    },
    Bundled {
        name: "Ec2InstanceConnectEndpoint",
        path: "/aws-service-role/",
        text: include_str!("aws_managed/Ec2InstanceConnectEndpoint.json"),
    },
    Bundled {
        name: "AmazonEC2FullAccess",
        path: "/",
        text: include_str!("aws_managed/AmazonEC2FullAccess.json"),
    },
    Bundled {
        name: "CloudWatchAgentServerPolicy",
        path: "/",
        text: include_str!("aws_managed/CloudWatchAgentServerPolicy.json"),
    },
];

/// A bundled AWS managed policy, parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AwsManagedPolicy {
    pub(crate) name: &'static str,
    pub(crate) path: &'static str,
    pub(crate) version_id: String,
    pub(crate) document: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Stored {
    version_id: String,
    document: Value,
}

/// The policy's name when `arn` is an AWS managed policy ARN (`arn:PARTITION:iam::aws:policy/…`).
pub(crate) fn aws_managed_name(arn: &str) -> Option<&str> {
    let parsed = Arn::parse(arn)?;
    if parsed.service != "iam" || parsed.account != "aws" {
        return None;
    }
    let resource = parsed.resource.strip_prefix("policy/")?;
    resource.rsplit('/').next().filter(|n| !n.is_empty())
}

/// The bundled policy an ARN names, if it is one of the bundled set. Matched by name: the
/// path part of AWS managed ARNs (`service-role/`, `job-function/`) is often written wrong,
/// and a wrong path fails at deploy time anyway.
pub(crate) fn lookup(arn: &str) -> Option<AwsManagedPolicy> {
    let name = aws_managed_name(arn)?;
    let bundled = BUNDLED.iter().find(|b| b.name == name)?;
    let stored: Stored = serde_json::from_str(bundled.text).ok()?;
    Some(AwsManagedPolicy {
        name: bundled.name,
        path: bundled.path,
        version_id: stored.version_id,
        document: stored.document,
    })
}

/// The names of the bundled policies (for documentation and tests).
#[cfg(test)]
pub(crate) fn bundled_names() -> impl Iterator<Item = &'static str> {
    BUNDLED.iter().map(|b| b.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_policy_parses() {
        for name in bundled_names() {
            let policy = lookup(&format!("arn:aws:iam::aws:policy/{name}")).expect(name);
            assert!(policy.document.get("Statement").is_some(), "{name}");
            assert!(policy.version_id.starts_with('v'), "{name}");
        }
    }

    #[test]
    fn lookup_by_arn() {
        let p = lookup("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM").unwrap();
        assert_eq!(p.path, "/service-role/");
        assert!(lookup("arn:aws-us-gov:iam::aws:policy/AmazonSSMManagedInstanceCore").is_some());
        assert!(lookup("arn:aws:iam::aws:policy/AmazonS3FullAccess").is_none());
        assert!(lookup("arn:aws:iam::111122223333:policy/AdministratorAccess").is_none());
        assert_eq!(
            aws_managed_name("arn:aws:iam::aws:policy/AmazonS3FullAccess"),
            Some("AmazonS3FullAccess")
        );
    }
}
