//! Which instances the map covers, with the facts their requests carry: for each collected
//! region, the running EC2 instances that are online in Systems Manager and the hybrid
//! `mi-` nodes that are. When managed-instance information was not collected, every running
//! instance is kept and marked [`Registration::Unconfirmed`] (a note says so); when the
//! instance list was not collected, online EC2 instances are kept with unknown tags (a gap
//! says so). Nothing is silently dropped.
//!
//! Also builds each instance's own request context: its tags under the resource-tag keys of
//! Session Manager (`ssm:resourceTag/K`, `aws:ResourceTag/K`) and of EC2 Instance Connect
//! (`aws:ResourceTag/K`, `ec2:ResourceTag/K`), other tag keys absent — or all unknown when
//! the tags could not be read.

use super::{Instance, MapGap, Registration, TargetKind};
use crate::model::{Account, InstanceState, Region, Section, Tags};
use crate::policy::Context;
use crate::policy::requests::{
    EC2_TAG_PREFIXES, SSM_TAG_PREFIXES, insert_tag, instance_arn, managed_instance_arn,
};

/// The instances of one region, with what could not be read.
pub(crate) struct RegionInstances {
    pub(crate) instances: Vec<Instance>,
    pub(crate) gaps: Vec<MapGap>,
    pub(crate) notes: Vec<String>,
}

fn gap(account: &Account, region: &Region, message: String) -> MapGap {
    MapGap {
        account: Some(account.id.clone()),
        region: Some(region.name.clone()),
        principal: None,
        message,
    }
}

/// One instance of the map.
fn entry(
    account: &Account,
    region: &Region,
    id: &str,
    kind: TargetKind,
    tags: Option<&Tags>,
    ssm: Registration,
) -> Instance {
    let partition = account.partition.as_str();
    let arn = match kind {
        TargetKind::Ec2Instance => instance_arn(partition, &region.name, &account.id, id),
        TargetKind::ManagedInstance => {
            managed_instance_arn(partition, &region.name, &account.id, id)
        }
    };
    Instance {
        id: id.to_owned(),
        arn,
        account: account.id.clone(),
        region: region.name.clone(),
        kind,
        name: tags.and_then(|t| t.get("Name").cloned()),
        tags: tags.cloned().unwrap_or_default(),
        tags_known: tags.is_some(),
        ssm,
        origin: None,
    }
}

/// The managed instances of a region (see the module doc).
pub(crate) fn region_instances(account: &Account, region: &Region) -> RegionInstances {
    let mut out = RegionInstances {
        instances: Vec::new(),
        gaps: Vec::new(),
        notes: Vec::new(),
    };
    if let Some(not) = &region.not_collected {
        out.gaps.push(gap(
            account,
            region,
            format!("the region could not be collected: {}", not.describe()),
        ));
        return out;
    }
    let managed = match &region.managed_instances {
        Section::Collected(list) => Some(list.as_slice()),
        Section::NotCollected(_) => None,
    };
    match &region.instances {
        Section::Collected(instances) => {
            ec2_instances(account, region, instances, managed, &mut out);
        }
        Section::NotCollected(g) => {
            out.gaps.push(gap(
                account,
                region,
                format!(
                    "instances not collected ({}): online EC2 instances are mapped with unknown tags",
                    g.describe()
                ),
            ));
            for m in managed.into_iter().flatten() {
                if m.instance_id.starts_with("i-") && m.is_online() {
                    out.instances.push(entry(
                        account,
                        region,
                        &m.instance_id,
                        TargetKind::Ec2Instance,
                        None,
                        Registration::Online,
                    ));
                }
            }
        }
    }
    match &region.managed_instances {
        Section::Collected(list) => {
            for m in list
                .iter()
                .filter(|m| !m.instance_id.starts_with("i-") && m.is_online())
            {
                out.instances.push(entry(
                    account,
                    region,
                    &m.instance_id,
                    TargetKind::ManagedInstance,
                    Some(&m.tags),
                    Registration::Online,
                ));
            }
        }
        Section::NotCollected(g) => {
            out.gaps.push(gap(
                account,
                region,
                format!(
                    "managed instances not collected ({}): hybrid (mi-) nodes cannot be listed",
                    g.describe()
                ),
            ));
        }
    }
    out
}

/// The running EC2 instances of a collected list: online ones, or all of them (unconfirmed)
/// without managed-instance information; online entries missing from the list are kept with
/// unknown tags.
fn ec2_instances(
    account: &Account,
    region: &Region,
    instances: &[crate::model::Instance],
    managed: Option<&[crate::model::ManagedInstance]>,
    out: &mut RegionInstances,
) {
    let mut not_online = 0usize;
    let mut unconfirmed = 0usize;
    for instance in instances
        .iter()
        .filter(|i| i.state == InstanceState::Running)
    {
        let registration = if let Some(list) = managed {
            if !list
                .iter()
                .any(|m| m.instance_id == instance.id && m.is_online())
            {
                not_online += 1;
                continue;
            }
            Registration::Online
        } else {
            unconfirmed += 1;
            Registration::Unconfirmed
        };
        // IaC inputs may not know the tags at plan time.
        let tags_known = !instance.unknown.contains_key("tags");
        let mut e = entry(
            account,
            region,
            &instance.id,
            TargetKind::Ec2Instance,
            tags_known.then_some(&instance.tags),
            registration,
        );
        e.origin.clone_from(&instance.origin);
        out.instances.push(e);
    }
    let scope = format!("account {} / {}", account.id, region.name);
    if not_online > 0 {
        out.notes.push(format!(
            "{scope}: {not_online} running instance(s) not online in Systems Manager left out (EC2003 reports them)"
        ));
    }
    if unconfirmed > 0 {
        let reason = match &region.managed_instances {
            Section::NotCollected(g) => g.describe(),
            Section::Collected(_) => String::new(),
        };
        out.notes.push(format!(
            "{scope}: SSM registration could not be confirmed for {unconfirmed} running instance(s) (managed-instance information not collected: {reason}); they are included"
        ));
    }
    for m in managed.into_iter().flatten() {
        if m.instance_id.starts_with("i-")
            && m.is_online()
            && !instances.iter().any(|i| i.id == m.instance_id)
        {
            out.instances.push(entry(
                account,
                region,
                &m.instance_id,
                TargetKind::Ec2Instance,
                None,
                Registration::Online,
            ));
            out.notes.push(format!(
                "{scope}: {} is online in Systems Manager but not in the instance list; its tags are unknown",
                m.instance_id
            ));
        }
    }
}

/// The request contexts an instance carries: (Session Manager, EC2 Instance Connect).
pub(crate) fn tag_contexts(instance: &Instance) -> (Context, Context) {
    let build = |prefixes: &[&str]| {
        let mut ctx = Context::new();
        for prefix in prefixes {
            if instance.tags_known {
                ctx.set_absent_prefix(prefix);
            } else {
                ctx.set_unknown_prefix(prefix);
            }
        }
        if instance.tags_known {
            for (key, value) in &instance.tags {
                insert_tag(&mut ctx, prefixes, key, value);
            }
        }
        ctx
    };
    (build(&SSM_TAG_PREFIXES), build(&EC2_TAG_PREFIXES))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Gap, ManagedInstance};
    use crate::policy::KeyState;

    fn instance(id: &str, state: InstanceState, env: &str) -> crate::model::Instance {
        crate::model::Instance {
            id: id.to_owned(),
            state,
            tags: [("Env".to_owned(), env.to_owned())].into_iter().collect(),
            ..Default::default()
        }
    }

    fn online(id: &str) -> ManagedInstance {
        ManagedInstance {
            instance_id: id.to_owned(),
            ping_status: "Online".to_owned(),
            ..Default::default()
        }
    }

    fn account() -> Account {
        Account {
            id: "111122223333".into(),
            partition: "aws".into(),
            ..Default::default()
        }
    }

    #[test]
    fn online_running_instances_and_hybrid_nodes() {
        let region = Region {
            name: "eu-west-1".into(),
            instances: Section::Collected(vec![
                instance("i-1", InstanceState::Running, "prod"),
                instance("i-2", InstanceState::Running, "dev"),
                instance("i-3", InstanceState::Stopped, "dev"),
            ]),
            managed_instances: Section::Collected(vec![
                online("i-1"),
                ManagedInstance {
                    instance_id: "i-2".into(),
                    ping_status: "ConnectionLost".into(),
                    ..Default::default()
                },
                ManagedInstance {
                    tags: [("Env".to_owned(), "lab".to_owned())].into_iter().collect(),
                    ..online("mi-0abc")
                },
            ]),
            ..Default::default()
        };
        let got = region_instances(&account(), &region);
        let ids: Vec<(&str, &str)> = got
            .instances
            .iter()
            .map(|i| (i.id.as_str(), i.arn.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("i-1", "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"),
                (
                    "mi-0abc",
                    "arn:aws:ssm:eu-west-1:111122223333:managed-instance/mi-0abc"
                )
            ]
        );
        assert_eq!(
            got.instances[1].tags.get("Env").map(String::as_str),
            Some("lab")
        );
        assert!(got.gaps.is_empty());
        assert!(
            got.notes[0].contains("1 running instance(s) not online"),
            "{:?}",
            got.notes
        );
    }

    #[test]
    fn unconfirmed_registration_keeps_running_instances() {
        let region = Region {
            name: "us-east-1".into(),
            instances: Section::Collected(vec![instance("i-1", InstanceState::Running, "prod")]),
            managed_instances: Section::NotCollected(Gap::new("AccessDenied")),
            ..Default::default()
        };
        let got = region_instances(&account(), &region);
        assert_eq!(got.instances.len(), 1);
        assert_eq!(got.instances[0].ssm, Registration::Unconfirmed);
        assert!(
            got.notes[0].contains("could not be confirmed"),
            "{:?}",
            got.notes
        );
        assert!(got.gaps[0].message.contains("hybrid"), "{:?}", got.gaps);
    }

    #[test]
    fn unknown_tags_make_tag_keys_unknown() {
        let region = Region {
            name: "us-east-1".into(),
            instances: Section::NotCollected(Gap::new("AccessDenied")),
            managed_instances: Section::Collected(vec![online("i-9")]),
            ..Default::default()
        };
        let got = region_instances(&account(), &region);
        assert!(!got.instances[0].tags_known);
        let (ssm, ec2) = tag_contexts(&got.instances[0]);
        assert_eq!(ssm.get("ssm:resourceTag/Env"), KeyState::Unknown);
        assert_eq!(ec2.get("ec2:ResourceTag/Env"), KeyState::Unknown);
        let known = Instance {
            tags_known: true,
            tags: [("Env".to_owned(), "prod".to_owned())]
                .into_iter()
                .collect(),
            ..got.instances[0].clone()
        };
        let (ssm, _) = tag_contexts(&known);
        assert!(matches!(ssm.get("aws:ResourceTag/Env"), KeyState::Known(_)));
        assert_eq!(ssm.get("ssm:resourceTag/Team"), KeyState::Absent);
    }
}
