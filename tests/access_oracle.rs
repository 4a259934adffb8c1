//! Cross-check of the access map with the differential oracle of the IAM engine
//! (`@cloud-copilot/iam-simulate`, run out of process by tests/oracle/run.mjs; see
//! `tests/policy_differential.rs` and docs/iam-engine.md).
//!
//! A seeded generator builds an account: EC2 instances and hybrid nodes in two regions with
//! varied tags, users (some in a group) and roles whose policies grant, scope, condition and
//! deny the actions of every path, some with a permission boundary, under two SCP levels.
//! nobastion computes the map; every non-denied cell and a sample of denied ones are then
//! decided again, independently: each request of the path (`StartSession` on the target AND
//! on the document — the oracle evaluates one resource per call —, `SendCommand` likewise,
//! the Instance Connect action) goes to the oracle with the full request context the map
//! used, once with the context keys the scanner cannot know set to values that satisfy the
//! generated conditions (source IP in 10.0.0.0/8, MFA) and once to values that do not. The
//! default-shell rule (the document needs a grant only when every Allow that can cover the
//! instance carries `ssm:SessionDocumentAccessCheck`) is recomputed here from the generated
//! statements. Then:
//!
//! - allowed ⇒ the oracle allows with both contexts;
//! - denied ⇒ it denies with both;
//! - allowed-if ⇒ it allows with the satisfying context and denies with the other.
//!
//! The generator avoids the oracle's documented quirks (no variables, no IPv4 /0, no
//! upper-case ARN prefixes). Without the oracle the test skips with a message, unless
//! `NOBASTION_REQUIRE_TOOLS=1`.

#[path = "support/oracle.rs"]
mod oracle;

use std::collections::{BTreeMap, HashMap};

use nobastion::access::{self, Access, AccessMap, Path, TargetKind};
use nobastion::model::Snapshot;
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const SEED: u64 = 0xacce_55ed_0b57_2026;
const DENIED_SAMPLE: usize = 600;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("below n")
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// A condition block the generator may put on a statement.
fn condition(rng: &mut Rng, on_target: bool) -> Option<Value> {
    let choices: &[Value] = if on_target {
        &[
            json!({"StringEquals": {"ssm:resourceTag/Env": "prod"}}),
            json!({"StringEquals": {"aws:ResourceTag/Env": "dev"}}),
            json!({"StringLike": {"ssm:resourceTag/Team": "a*"}}),
            json!({"StringNotEquals": {"ssm:resourceTag/Env": "prod"}}),
            json!({"StringEqualsIfExists": {"ssm:resourceTag/Team": "b"}}),
            json!({"Null": {"ssm:resourceTag/Env": "false"}}),
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            json!({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
            json!({"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}),
            json!({"StringEquals": {"aws:PrincipalTag/team": "a"}}),
        ]
    } else {
        &[
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}),
        ]
    };
    (rng.chance(55)).then(|| rng.pick(choices).clone())
}

fn statement(rng: &mut Rng) -> Value {
    let start_actions = ["ssm:StartSession", "ssm:Start*", "ssm:*"];
    let targets = [
        "*".to_owned(),
        "arn:aws:ec2:*:*:instance/*".to_owned(),
        format!("arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*"),
        "arn:aws:ssm:*:*:managed-instance/*".to_owned(),
        format!("arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-00000000000000003"),
    ];
    let documents = [
        "arn:aws:ssm:*::document/AWS-StartSSHSession",
        "arn:aws:ssm:*::document/AWS-StartPortForwarding*",
        "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell",
        "arn:aws:ssm:*::document/*",
        "arn:aws:ssm:*::document/AWS-Start*Command",
    ];
    let mut st = match rng.below(9) {
        0..=2 => {
            json!({"Effect": "Allow", "Action": rng.pick(&start_actions), "Resource": rng.pick(&targets)})
        }
        3 | 4 => {
            json!({"Effect": "Allow", "Action": "ssm:StartSession", "Resource": rng.pick(&documents)})
        }
        5 => {
            json!({"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": rng.pick(&targets)})
        }
        6 => json!({"Effect": "Allow", "Action": "ssm:SendCommand",
                    "Resource": rng.pick(&["arn:aws:ssm:*::document/AWS-RunShellScript", "arn:aws:ssm:*::document/AWS-Run*"])}),
        7 => {
            json!({"Effect": "Allow", "Action": rng.pick(&["ec2-instance-connect:SendSSHPublicKey", "ec2-instance-connect:*"]),
                    "Resource": rng.pick(&["*", "arn:aws:ec2:*:*:instance/*"])})
        }
        _ => {
            json!({"Effect": "Deny", "Action": rng.pick(&["ssm:StartSession", "ssm:SendCommand", "ssm:*"]),
                    "Resource": rng.pick(&targets)})
        }
    };
    let on_target = st["Resource"]
        .as_str()
        .is_some_and(|r| !r.contains(":document/"));
    if let Some(c) = condition(rng, on_target) {
        st["Condition"] = c;
    }
    st
}

fn doc(statements: &[Value]) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn generate() -> Value {
    let mut rng = Rng(SEED);
    let mut regions = Vec::new();
    for (r, name) in REGIONS.iter().enumerate() {
        let mut instances = Vec::new();
        let mut online = Vec::new();
        for k in 0..12 {
            let n = r * 12 + k;
            let id = format!("i-{n:017}");
            let mut tags = serde_json::Map::new();
            if n % 6 != 5 {
                let (env, team) = (["prod", "dev"][n % 2], ["a", "b", "c"][n % 3]);
                tags.insert("Env".into(), json!(env));
                tags.insert("Team".into(), json!(team));
            }
            instances.push(json!({"id": id, "state": "running", "tags": tags}));
            online.push(json!({"instance_id": id, "ping_status": "Online"}));
        }
        for (k, env) in ["prod", "dev"].iter().enumerate() {
            online.push(
                json!({"instance_id": format!("mi-{:017}", r * 2 + k), "ping_status": "Online",
                "resource_type": "ManagedInstance", "tags": {"Env": env}}),
            );
        }
        regions.push(json!({"name": name, "instances": {"collected": instances},
            "managed_instances": {"collected": online}, "ssm_documents": {"collected": []}}));
    }
    let boundaries = [
        (
            "sessions-only",
            doc(&[json!({"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*"})]),
        ),
        (
            "no-connect",
            doc(&[json!({"Effect": "Allow", "Action": ["ssm:*"], "Resource": "*"})]),
        ),
    ];
    let policies: Vec<Value> = boundaries
        .iter()
        .map(|(name, d)| json!({"arn": format!("arn:aws:iam::{ACCOUNT}:policy/{name}"), "name": name, "document": {"document": d}}))
        .collect();
    let group_doc = doc(&[
        json!({"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*", "Condition": {"StringEquals": {"ssm:resourceTag/Team": "c"}}}),
    ]);
    let groups = vec![
        json!({"name": "team-c", "arn": format!("arn:aws:iam::{ACCOUNT}:group/team-c"),
        "inline_policies": [{"name": "team-c", "document": {"document": group_doc}}]}),
    ];
    let mut users = Vec::new();
    let mut roles = Vec::new();
    for p in 0..40 {
        let statements: Vec<Value> = (0..=rng.below(3)).map(|_| statement(&mut rng)).collect();
        let inline = json!([{"name": "generated", "document": {"document": doc(&statements)}}]);
        let team = ["a", "b"][p % 2];
        let mut entry = if p % 2 == 0 {
            json!({"name": format!("user-{p:02}"), "arn": format!("arn:aws:iam::{ACCOUNT}:user/user-{p:02}"),
                "id": format!("AIDAUSER{p:02}"), "inline_policies": inline, "tags": {"team": team}})
        } else {
            json!({"name": format!("role-{p:02}"), "arn": format!("arn:aws:iam::{ACCOUNT}:role/role-{p:02}"),
                "id": format!("AROAROLE{p:02}"), "inline_policies": inline, "tags": {"team": team},
                "trust_policy": {"document": doc(&[json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"})])}})
        };
        if rng.chance(25) {
            entry["permissions_boundary"] = json!(format!(
                "arn:aws:iam::{ACCOUNT}:policy/{}",
                rng.pick(&boundaries).0
            ));
        }
        if p % 2 == 0 {
            if rng.chance(30) {
                entry["groups"] = json!(["team-c"]);
            }
            users.push(entry);
        } else {
            roles.push(entry);
        }
    }
    let full = json!({"id": "p-full", "name": "FullAWSAccess", "document": {"document": doc(&[json!({"Effect": "Allow", "Action": "*", "Resource": "*"})])}});
    let no_prod_commands = json!({"id": "p-npc", "name": "no-prod-commands", "document": {"document": doc(&[
        json!({"Effect": "Deny", "Action": "ssm:SendCommand", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/Env": "prod"}}})])}});
    json!({"schema_version": 1, "metadata": {"source": "manual"}, "accounts": [{
        "id": ACCOUNT, "partition": "aws",
        "organization": {"collected": {"id": "o-oracle", "management_account_id": "999999999999", "scp_levels": [
            {"target_id": "r-root", "policies": [full]},
            {"target_id": "ou-1", "policies": [full, no_prod_commands]}]}},
        "iam": {"collected": {"users": users, "groups": groups, "roles": roles, "policies": policies}},
        "regions": regions}]})
}

// ---------------------------------------------------------------------------------------
// The oracle side

/// One principal's policies, as oracle policy ids.
struct Policies {
    identity: Vec<usize>,
    boundary: Option<usize>,
    scps: Vec<Vec<usize>>,
    /// The identity Allow statements, for the default-shell rule.
    allows: Vec<Value>,
}

/// A request to decide: (principal, action, resource, context).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Ask {
    principal: usize,
    action: String,
    resource: String,
    context: BTreeMap<String, String>,
}

struct Oracle {
    docs: Vec<Value>,
    asks: Vec<Ask>,
    index: HashMap<Ask, usize>,
}

impl Oracle {
    fn ask(&mut self, ask: Ask) -> usize {
        if let Some(&i) = self.index.get(&ask) {
            return i;
        }
        self.asks.push(ask.clone());
        self.index.insert(ask, self.asks.len() - 1);
        self.asks.len() - 1
    }

    fn run(&self, script: &std::path::Path, principals: &[(String, Policies)]) -> Vec<String> {
        let cases: Vec<Value> = self
            .asks
            .iter()
            .enumerate()
            .map(|(id, ask)| {
                let (arn, p) = &principals[ask.principal];
                json!({"type": "case", "id": id, "principal": arn, "action": ask.action,
                    "resource": ask.resource, "account": ACCOUNT, "context": ask.context,
                    "identity": p.identity, "boundary": p.boundary, "scps": p.scps, "session": null})
            })
            .collect();
        oracle::run(script, &self.docs, &cases)
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| format!("error: {e}")))
            .collect()
    }
}

/// The oracle's policy ids for every principal of the map (same order).
fn policies(snapshot: &Value, map: &AccessMap, oracle: &mut Oracle) -> Vec<(String, Policies)> {
    let account = &snapshot["accounts"][0];
    let iam = &account["iam"]["collected"];
    let mut add = |d: &Value| {
        oracle.docs.push(d.clone());
        oracle.docs.len() - 1
    };
    let scps: Vec<Vec<usize>> = account["organization"]["collected"]["scp_levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["policies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| add(&p["document"]["document"]))
                .collect()
        })
        .collect();
    let managed = |arn: &str| -> Value {
        iam["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["arn"] == arn)
            .map(|p| p["document"]["document"].clone())
            .expect("managed policy")
    };
    let entries: Vec<&Value> = iam["users"]
        .as_array()
        .unwrap()
        .iter()
        .chain(iam["roles"].as_array().unwrap())
        .collect();
    map.principals
        .iter()
        .map(|p| {
            let e = entries
                .iter()
                .find(|e| e["arn"] == p.arn)
                .expect("principal");
            let mut docs: Vec<Value> = e["inline_policies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["document"]["document"].clone())
                .collect();
            for g in e["groups"].as_array().into_iter().flatten() {
                let group = iam["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["name"] == *g)
                    .expect("group");
                for i in group["inline_policies"].as_array().unwrap() {
                    docs.push(i["document"]["document"].clone());
                }
            }
            let allows: Vec<Value> = docs
                .iter()
                .flat_map(|d| d["Statement"].as_array().cloned().unwrap_or_default())
                .filter(|s| s["Effect"] == "Allow")
                .collect();
            let identity = docs.iter().map(&mut add).collect();
            let boundary = e["permissions_boundary"].as_str().map(|b| add(&managed(b)));
            (
                p.arn.clone(),
                Policies {
                    identity,
                    boundary,
                    scps: scps.clone(),
                    allows,
                },
            )
        })
        .collect()
}

/// `*` and `?` glob, as IAM matches resources and actions in the generated policies.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The default-shell rule, recomputed from the generated statements: does every identity
/// Allow for `StartSession` whose Resource can cover the instance carry the check?
fn access_check_enforced(allows: &[Value], instance_arn: &str) -> bool {
    let covering: Vec<&Value> = allows
        .iter()
        .filter(|s| {
            let a = s["Action"].as_str().unwrap_or("");
            glob(&a.to_lowercase(), "ssm:startsession")
                && s["Resource"]
                    .as_str()
                    .is_some_and(|r| glob(r, instance_arn))
        })
        .collect();
    !covering.is_empty()
        && covering
            .iter()
            .all(|s| s["Condition"]["BoolIfExists"]["ssm:SessionDocumentAccessCheck"] == "true")
}

const GOOD: [(&str, &str); 2] = [
    ("aws:SourceIp", "10.1.2.3"),
    ("aws:MultiFactorAuthPresent", "true"),
];
const BAD: [(&str, &str); 2] = [
    ("aws:SourceIp", "203.0.113.9"),
    ("aws:MultiFactorAuthPresent", "false"),
];

/// The request context the map used, with `unknown` filled in.
fn context(
    map: &AccessMap,
    principal: usize,
    instance: &access::Instance,
    action: &str,
    target: bool,
    unknown: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let p = &map.principals[principal];
    let mut ctx = BTreeMap::new();
    let mut put = |k: &str, v: &str| {
        ctx.insert(k.to_owned(), v.to_owned());
    };
    put("aws:RequestedRegion", &instance.region);
    put("aws:ResourceAccount", &instance.account);
    put("aws:SecureTransport", "true");
    put("aws:PrincipalIsAWSService", "false");
    put("aws:PrincipalArn", &p.arn);
    put("aws:PrincipalAccount", ACCOUNT);
    put("aws:PrincipalOrgID", "o-oracle");
    // The generator tags users team=a and roles team=b.
    match p.kind {
        access::PrincipalKind::User => {
            put("aws:PrincipalType", "User");
            put("aws:username", &p.name);
            put("aws:PrincipalTag/team", "a");
        }
        access::PrincipalKind::Role => {
            put("aws:PrincipalType", "AssumedRole");
            put("aws:PrincipalTag/team", "b");
        }
    }
    if action == "ssm:StartSession" {
        put("ssm:SessionDocumentAccessCheck", "true");
    }
    if target {
        let prefixes: &[&str] = if action.starts_with("ec2-instance-connect") {
            &["aws:ResourceTag/", "ec2:ResourceTag/"]
        } else {
            &["aws:ResourceTag/", "ssm:resourceTag/"]
        };
        for (k, v) in &instance.tags {
            for prefix in prefixes {
                put(&format!("{prefix}{k}"), v);
            }
        }
    }
    for (k, v) in unknown {
        put(k, v);
    }
    ctx
}

/// The oracle questions that decide a path: alternatives (OR) of checks (AND), per context.
fn questions(
    map: &AccessMap,
    principal: usize,
    instance: &access::Instance,
    path: Path,
    allows: &[Value],
    unknown: &[(&str, &str)],
    oracle: &mut Oracle,
) -> Vec<Vec<usize>> {
    let region = &instance.region;
    let aws = |name: &str| format!("arn:aws:ssm:{region}::document/{name}");
    let mut ask = |action: &str, resource: &str, target: bool| {
        oracle.ask(Ask {
            principal,
            action: action.to_owned(),
            resource: resource.to_owned(),
            context: context(map, principal, instance, action, target, unknown),
        })
    };
    let start = "ssm:StartSession";
    let session =
        |docs: &[String], ask: &mut dyn FnMut(&str, &str, bool) -> usize| -> Vec<Vec<usize>> {
            let target = ask(start, &instance.arn, true);
            docs.iter()
                .map(|d| vec![target, ask(start, d, false)])
                .collect()
        };
    match path {
        Path::Shell => {
            let target = ask(start, &instance.arn, true);
            if access_check_enforced(allows, &instance.arn) {
                let d =
                    format!("arn:aws:ssm:{region}:{ACCOUNT}:document/SSM-SessionManagerRunShell");
                vec![vec![target, ask(start, &d, false)]]
            } else {
                vec![vec![target]]
            }
        }
        Path::PortForwarding => session(
            &[
                aws("AWS-StartPortForwardingSession"),
                aws("AWS-StartPortForwardingSessionToRemoteHost"),
            ],
            &mut ask,
        ),
        Path::Ssh => session(&[aws("AWS-StartSSHSession")], &mut ask),
        Path::InteractiveCommand => session(
            &[
                aws("AWS-StartInteractiveCommand"),
                aws("AWS-StartNonInteractiveCommand"),
            ],
            &mut ask,
        ),
        Path::SendCommand => {
            let target = ask("ssm:SendCommand", &instance.arn, true);
            ["AWS-RunShellScript", "AWS-RunPowerShellScript"]
                .iter()
                .map(|d| vec![target, ask("ssm:SendCommand", &aws(d), false)])
                .collect()
        }
        Path::InstanceConnect => {
            if instance.kind != TargetKind::Ec2Instance {
                return Vec::new();
            }
            [
                "ec2-instance-connect:SendSSHPublicKey",
                "ec2-instance-connect:SendSerialConsoleSSHPublicKey",
            ]
            .iter()
            .map(|a| vec![ask(a, &instance.arn, true)])
            .collect()
        }
    }
}

/// Every non-denied (principal, instance, path) of the map, and `DENIED_SAMPLE` denied ones
/// picked at random.
fn sample(
    map: &AccessMap,
    answers: &HashMap<(usize, usize, Path), Access>,
) -> Vec<(usize, usize, Path)> {
    let mut rng = Rng(SEED ^ 1);
    let mut sample: Vec<(usize, usize, Path)> = answers.keys().copied().collect();
    sample.sort_by_key(|(p, i, path)| (*p, *i, *path as usize));
    let mut denied = 0;
    while denied < DENIED_SAMPLE {
        let key = (
            rng.below(map.principals.len()),
            rng.below(map.instances.len()),
            *rng.pick(&Path::ALL),
        );
        if !answers.contains_key(&key) && !sample.contains(&key) {
            sample.push(key);
            denied += 1;
        }
    }
    sample
}

#[test]
fn sampled_cells_agree_with_the_oracle() {
    let Some(script) = oracle::script("the access-map oracle cross-check") else {
        return;
    };
    let generated = generate();
    let snapshot = Snapshot::from_json(&generated.to_string(), "generated").expect("snapshot");
    let map = access::compute(&snapshot);
    assert!(map.is_complete(), "{:?}", map.gaps);
    let mut oracle = Oracle {
        docs: Vec::new(),
        asks: Vec::new(),
        index: HashMap::new(),
    };
    let principals = policies(&generated, &map, &mut oracle);
    let answers: HashMap<(usize, usize, Path), Access> = map
        .cells
        .iter()
        .map(|c| {
            (
                (c.principal as usize, c.instance as usize, c.path),
                c.access,
            )
        })
        .collect();
    let sample = sample(&map, &answers);
    // (cell, questions with the satisfying context, with the other)
    let plan: Vec<_> = sample
        .iter()
        .map(|&(p, i, path)| {
            let instance = &map.instances[i];
            let allows = &principals[p].1.allows;
            let good = questions(&map, p, instance, path, allows, &GOOD, &mut oracle);
            let bad = questions(&map, p, instance, path, allows, &BAD, &mut oracle);
            ((p, i, path), good, bad)
        })
        .collect();
    let results = oracle.run(&script, &principals);
    let decide = |alternatives: &[Vec<usize>]| -> Result<bool, String> {
        let mut any = false;
        for checks in alternatives {
            let mut all = true;
            for &q in checks {
                match results[q].as_str() {
                    "Allowed" => {}
                    "ImplicitlyDenied" | "ExplicitlyDenied" => all = false,
                    other => return Err(other.to_owned()),
                }
            }
            any |= all;
        }
        Ok(any)
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for ((p, i, path), good, bad) in &plan {
        let ours = answers.get(&(*p, *i, *path)).copied();
        let (Ok(g), Ok(b)) = (decide(good), decide(bad)) else {
            problems.push(format!("oracle error for {p} {i} {path}"));
            continue;
        };
        let expected = match ours {
            Some(Access::Allowed) => (true, true),
            Some(Access::Conditional) => (true, false),
            None => (false, false),
            Some(Access::Indeterminate) => continue,
        };
        *counts
            .entry(ours.map_or("denied", Access::as_str))
            .or_default() += 1;
        if (g, b) != expected {
            problems.push(format!(
                "{} on {} ({}) path {path}: nobastion {}, oracle {} with the satisfying context and {} without",
                map.principals[*p].arn,
                map.instances[*i].id,
                map.instances[*i].tags_label(),
                ours.map_or("denied", Access::as_str),
                if g { "allows" } else { "denies" },
                if b { "allows" } else { "denies" },
            ));
        }
    }
    println!(
        "access-map cells cross-checked with the oracle: {counts:?} ({} oracle requests)",
        oracle.asks.len()
    );
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
    for kind in ["allowed", "allowed-if", "denied"] {
        assert!(
            counts.get(kind).copied().unwrap_or(0) >= 50,
            "too few {kind} cells compared: {counts:?} (the generator drifted)"
        );
    }
}
