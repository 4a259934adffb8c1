"""The live-scan test scenario: an AWS Organization with a management and a member account,
three regions, and a good and a bad example for every rule that reads live data.

Seeded through the AWS API (boto3) by tests/moto/launcher.py; tests/live_*.rs read the ids
this returns and assert the exact snapshot contents and findings. Every resource that could
produce a finding is created on purpose: default VPCs are deleted, default security groups
emptied and default network ACLs narrowed, so nothing fires by accident.

Regions: R1 us-east-1 (management: the good region, plus the network / EC2 / IAM cases),
R2 eu-west-1 (management: broken session logging; member: an instance without preferences),
R3 eu-central-1 (management: preferences that log nowhere; member: empty).
"""

import json

import boto3

R1, R2, R3 = "us-east-1", "eu-west-1", "eu-central-1"
REGIONS = [R1, R2, R3]
MANAGEMENT = "123456789012"
ROLE_NAME = "OrganizationAccountAccessRole"
AMI = "ami-12c6146b"
ALERT_TOPIC = "arn:aws:sns:{region}:{account}:security-alerts"
PING_TAG = "nobastion-test:ping-status"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", condition=None):
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


EC2_TRUST = policy(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


def account_trust(account):
    return policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "sts:AssumeRole",
        }
    )


TAG_SCOPED = {"StringEquals": {"ssm:resourceTag/Team": "ops"}}
INSTANCES = "arn:aws:ec2:*:*:instance/*"
RUN_SHELL = "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"


class Account:
    """boto3 clients for one account (default credentials or assumed role)."""

    def __init__(self, endpoint, account_id, credentials=None):
        self.id = account_id
        self.endpoint = endpoint
        self.credentials = credentials or {
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }

    def client(self, service, region=R1):
        client = boto3.client(
            service, region_name=region, endpoint_url=self.endpoint, **self.credentials
        )
        if service == "s3control":
            # S3 Control's endpoint rules put the account id in front of the host, which
            # does not resolve for 127.0.0.1; send it to the endpoint as given.
            prefix = f"{self.id}."

            def plain_host(request, **_):
                request.url = request.url.replace(f"://{prefix}", "://", 1)

            client.meta.events.register("before-sign.s3-control.*", plain_host)
        return client


def delete_default_vpc(ec2):
    for vpc in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]:
        vpc_id = vpc["VpcId"]
        for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
            "Subnets"
        ]:
            ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        for igw in ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        )["InternetGateways"]:
            ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc_id)
            ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
        acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
        ec2.delete_vpc(VpcId=vpc_id)
        # moto keeps a deleted VPC's default network ACL (AWS deletes it with the VPC) and
        # refuses to delete it: leave it denying everything.
        for acl in acls["NetworkAcls"]:
            for entry in acl["Entries"]:
                if entry["RuleNumber"] != 32767:
                    ec2.delete_network_acl_entry(
                        NetworkAclId=acl["NetworkAclId"],
                        RuleNumber=entry["RuleNumber"],
                        Egress=entry["Egress"],
                    )


def quiet_vpc(ec2, cidr, name, narrow_nacl=True):
    """A VPC whose default security group allows nothing and whose default network ACL only
    lets HTTPS in from inside (unless narrow_nacl is False: then it keeps AWS's allow-all)."""
    vpc_id = ec2.create_vpc(
        CidrBlock=cidr, TagSpecifications=[tag_spec("vpc", name)]
    )["Vpc"]["VpcId"]
    default_sg = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]
    revoke_all(ec2, default_sg)
    acl = ec2.describe_network_acls(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "default", "Values": ["true"]},
        ]
    )["NetworkAcls"][0]
    if narrow_nacl:
        for entry in acl["Entries"]:
            if entry["RuleNumber"] == 100 and not entry["Egress"]:
                ec2.delete_network_acl_entry(
                    NetworkAclId=acl["NetworkAclId"], RuleNumber=100, Egress=False
                )
        ec2.create_network_acl_entry(
            NetworkAclId=acl["NetworkAclId"],
            RuleNumber=100,
            Protocol="6",
            RuleAction="allow",
            Egress=False,
            CidrBlock="10.0.0.0/8",
            PortRange={"From": 443, "To": 443},
        )
    return vpc_id, default_sg["GroupId"], acl["NetworkAclId"]


def revoke_all(ec2, group):
    if group.get("IpPermissions"):
        ec2.revoke_security_group_ingress(
            GroupId=group["GroupId"], IpPermissions=group["IpPermissions"]
        )
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(
            GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"]
        )


def tag_spec(kind, name, **tags):
    tags = {"Name": name, **tags}
    return {"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


def security_group(ec2, vpc_id, name, ingress=(), egress=None):
    """egress=None keeps AWS's default allow-all egress; a list replaces it."""
    group_id = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id)[
        "GroupId"
    ]
    if ingress:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(ingress))
    if egress is not None:
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        ec2.revoke_security_group_egress(
            GroupId=group_id, IpPermissions=group["IpPermissionsEgress"]
        )
        if egress:
            ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=list(egress))
    return group_id


def subnet(ec2, vpc_id, cidr, zone, public=False):
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)[
        "Subnet"
    ]["SubnetId"]
    # Set explicitly: moto turns it on for the first subnet of an availability zone.
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": public})
    return subnet_id


def tcp(port, **source):
    permission = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    permission.update(source)
    return permission


def launch(ec2, name, subnet=None, groups=(), profile=None, key=None, eni_groups=None, tags=None,
           public_ip=False):
    """public_ip=False launches through an explicit network interface without a public
    address (moto gives every instance one otherwise); None leaves it to the subnet."""
    kwargs = {
        "ImageId": AMI,
        "MinCount": 1,
        "MaxCount": 1,
        "InstanceType": "t3.micro",
        "TagSpecifications": [tag_spec("instance", name, **(tags or {}))],
    }
    if eni_groups is not None or public_ip is not None:
        interface = {"DeviceIndex": 0, "SubnetId": subnet, "Groups": list(eni_groups or groups)}
        if public_ip is not None:
            interface["AssociatePublicIpAddress"] = public_ip
        kwargs["NetworkInterfaces"] = [interface]
    else:
        kwargs["SubnetId"] = subnet
        kwargs["SecurityGroupIds"] = list(groups)
    if profile:
        kwargs["IamInstanceProfile"] = {"Name": profile}
    if key:
        kwargs["KeyName"] = key
    return ec2.run_instances(**kwargs)["Instances"][0]["InstanceId"]


def endpoints(ec2, region, vpc_id, subnet_id, group_id, route_table_id, services):
    created = {}
    for service in services:
        name = f"com.amazonaws.{region}.{service}"
        if service == "s3":
            out = ec2.create_vpc_endpoint(
                VpcId=vpc_id,
                ServiceName=name,
                VpcEndpointType="Gateway",
                RouteTableIds=[route_table_id],
            )
        else:
            out = ec2.create_vpc_endpoint(
                VpcId=vpc_id,
                ServiceName=name,
                VpcEndpointType="Interface",
                SubnetIds=[subnet_id],
                SecurityGroupIds=[group_id],
                PrivateDnsEnabled=True,
            )
        created[service] = out["VpcEndpoint"]["VpcEndpointId"]
    return created


def preferences(ssm, name="SSM-SessionManagerRunShell", session_type="Standard_Stream",
                document_format="JSON", **inputs):
    content = {
        "schemaVersion": "1.0",
        "description": "Session Manager preferences",
        "sessionType": session_type,
        "inputs": inputs,
    }
    if document_format == "YAML":
        import yaml

        text = yaml.safe_dump(content)
    else:
        text = json.dumps(content)
    ssm.create_document(
        Name=name, Content=text, DocumentType="Session", DocumentFormat=document_format
    )


def block_public_sharing(ssm, blocked=True):
    ssm.update_service_setting(
        SettingId="/ssm/documents/console/public-sharing-permission",
        SettingValue="Disable" if blocked else "Enable",
    )


def customer_key(kms, alias):
    key = kms.create_key(Description=alias)["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    return key["KeyId"], key["Arn"]


# ---------------------------------------------------------------------------------------


def seed_iam(account):
    """Management account principals: one bad example per IAM rule, and good ones."""
    iam = account.client("iam")
    out = {}

    def role(name, statements=None, managed=(), trust=None):
        arn = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=trust or account_trust(account.id)
        )["Role"]["Arn"]
        if statements:
            iam.put_role_policy(RoleName=name, PolicyName=f"{name}-inline", PolicyDocument=policy(*statements))
        for managed_arn in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=managed_arn)
        out[name] = arn
        return arn

    # IAM001: StartSession on any instance, no tag condition.
    role("bad-start-session-untagged", [allow("ssm:StartSession", [INSTANCES, RUN_SHELL])])
    # Good: tag-scoped StartSession, own-session-only Terminate (tag method), default doc.
    role(
        "good-session-operator",
        [
            allow("ssm:StartSession", INSTANCES, TAG_SCOPED),
            allow("ssm:StartSession", RUN_SHELL),
            allow(
                ["ssm:TerminateSession", "ssm:ResumeSession"],
                "arn:aws:ssm:*:*:session/*",
                {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}"]}},
            ),
        ],
    )
    # IAM002: terminate anybody's session.
    role("bad-terminate-any", [allow("ssm:TerminateSession", "arn:aws:ssm:*:*:session/*")])
    # IAM003: port forwarding (instances tag-scoped, so only IAM003 applies).
    role(
        "bad-port-forwarding",
        [
            allow("ssm:StartSession", INSTANCES, TAG_SCOPED),
            allow("ssm:StartSession", "arn:aws:ssm:*::document/AWS-StartPortForwardingSession"),
        ],
    )
    # IAM004: SSH over Session Manager.
    role(
        "bad-ssh-tunnel",
        [
            allow("ssm:StartSession", INSTANCES, TAG_SCOPED),
            allow("ssm:StartSession", "arn:aws:ssm:*::document/AWS-StartSSHSession"),
        ],
    )
    # IAM005: SendCommand with a shell document on any instance.
    role(
        "bad-send-command",
        [allow("ssm:SendCommand", [INSTANCES, "arn:aws:ssm:*::document/AWS-RunShellScript"])],
    )
    # IAM006: EC2 Instance Connect.
    role("bad-instance-connect", [allow("ec2-instance-connect:SendSSHPublicKey")])
    # IAM007: may rewrite the session preferences.
    role("bad-preferences-editor", [allow("ssm:UpdateDocument", RUN_SHELL)])

    # IAM008: users, with and without MFA.
    start = [allow("ssm:StartSession", INSTANCES, TAG_SCOPED), allow("ssm:StartSession", RUN_SHELL)]
    iam.create_user(UserName="bad-user-without-mfa")
    iam.put_user_policy(UserName="bad-user-without-mfa", PolicyName="sessions", PolicyDocument=policy(*start))
    out["bad-user-without-mfa"] = iam.get_user(UserName="bad-user-without-mfa")["User"]["Arn"]
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    iam.create_user(UserName="good-user-with-mfa")
    iam.create_group(GroupName="session-users")
    iam.put_group_policy(
        GroupName="session-users",
        PolicyName="sessions-with-mfa",
        PolicyDocument=policy(
            allow("ssm:StartSession", INSTANCES, {**TAG_SCOPED, **mfa}),
            allow("ssm:StartSession", RUN_SHELL, mfa),
        ),
    )
    iam.add_user_to_group(GroupName="session-users", UserName="good-user-with-mfa")
    out["good-user-with-mfa"] = iam.get_user(UserName="good-user-with-mfa")["User"]["Arn"]

    # IAM009: instance profile roles.
    core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    old = "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM"
    role("good-instance-role", managed=[core], trust=EC2_TRUST)
    role("bad-instance-role", managed=[old], trust=EC2_TRUST)
    for profile, role_name in (("good-instance-profile", "good-instance-role"),
                               ("bad-instance-profile", "bad-instance-role")):
        iam.create_instance_profile(InstanceProfileName=profile)
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role_name)
    # A customer-managed policy and a permissions boundary, to see both collected.
    boundary = iam.create_policy(
        PolicyName="session-boundary",
        PolicyDocument=policy(allow(["ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession"])),
    )["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName="good-session-operator", PermissionsBoundary=boundary)
    out["session-boundary"] = boundary
    return out


def seed_management_r1(account):
    ec2 = account.client("ec2", R1)
    ssm = account.client("ssm", R1)
    kms = account.client("kms", R1)
    s3 = account.client("s3", R1)
    logs = account.client("logs", R1)
    events = account.client("events", R1)
    trail = account.client("cloudtrail", R1)
    out = {}
    delete_default_vpc(ec2)

    # -- good VPC: private, endpoints for ssm/ssmmessages/ec2messages/logs/kms/s3
    good_vpc, good_default_sg, good_nacl = quiet_vpc(ec2, "10.0.0.0/16", "good-vpc")
    good_subnet = subnet(ec2, good_vpc, "10.0.1.0/24", "us-east-1a")
    good_rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [good_vpc]}])["RouteTables"][0]["RouteTableId"]
    s3_prefix_list = next(
        p["PrefixListId"]
        for p in ec2.describe_managed_prefix_lists()["PrefixLists"]
        if p["PrefixListName"] == f"com.amazonaws.{R1}.s3"
    )
    good_sg = security_group(
        ec2,
        good_vpc,
        "managed-https-only",
        egress=[
            tcp(443, IpRanges=[{"CidrIp": "10.0.0.0/16"}]),
            tcp(443, PrefixListIds=[{"PrefixListId": s3_prefix_list}]),
        ],
    )
    good_endpoints = endpoints(
        ec2, R1, good_vpc, good_subnet, good_sg, good_rt,
        ["ssm", "ssmmessages", "ec2messages", "logs", "kms", "s3"],
    )
    good_instance = launch(ec2, "good", good_subnet, [good_sg], profile="good-instance-profile",
                           tags={"Team": "ops"})

    # -- bad VPC: public subnet, allow-all default NACL, exposed groups, no endpoints
    bad_vpc, bad_default_sg, bad_nacl = quiet_vpc(ec2, "10.1.0.0/16", "bad-vpc", narrow_nacl=False)
    public_subnet = subnet(ec2, bad_vpc, "10.1.1.0/24", "us-east-1a", public=True)
    private_subnet = subnet(ec2, bad_vpc, "10.1.2.0/24", "us-east-1b")
    managed_bad_sg = security_group(ec2, bad_vpc, "managed-open-egress")
    ssh_world = security_group(ec2, bad_vpc, "ssh-from-internet", ingress=[tcp(22, IpRanges=[{"CidrIp": "0.0.0.0/0"}])], egress=[])
    rdp_world6 = security_group(ec2, bad_vpc, "rdp-from-internet-v6", ingress=[tcp(3389, Ipv6Ranges=[{"CidrIpv6": "::/0"}])], egress=[])
    ssh_from_group = security_group(
        ec2, bad_vpc, "ssh-from-group",
        ingress=[tcp(22, UserIdGroupPairs=[{"GroupId": managed_bad_sg}])], egress=[],
    )
    eni_only = security_group(ec2, bad_vpc, "eni-only-ssh", ingress=[tcp(22, IpRanges=[{"CidrIp": "10.0.0.0/8"}])])
    ec2.create_key_pair(KeyName="legacy-key")
    public_keyed = launch(ec2, "public-keyed", public_subnet, [managed_bad_sg],
                          profile="good-instance-profile", key="legacy-key", tags={"Team": "ops"},
                          public_ip=None)
    no_profile = launch(ec2, "no-profile", private_subnet, [ssh_world])
    lost_agent = launch(ec2, "lost-agent", private_subnet, [ssh_world], profile="bad-instance-profile",
                        tags={PING_TAG: "ConnectionLost"})
    eni_instance = launch(ec2, "eni-only", private_subnet, profile="good-instance-profile",
                          eni_groups=[eni_only], public_ip=False)
    lt_bad = ec2.create_launch_template(
        LaunchTemplateName="lt-public-keyed",
        LaunchTemplateData={
            "ImageId": AMI,
            "KeyName": "legacy-key",
            "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True, "Groups": [managed_bad_sg]}],
        },
    )["LaunchTemplate"]["LaunchTemplateId"]
    lt_good = ec2.create_launch_template(
        LaunchTemplateName="lt-private",
        LaunchTemplateData={
            "ImageId": AMI,
            "IamInstanceProfile": {"Name": "good-instance-profile"},
            "SecurityGroupIds": [good_sg],
        },
    )["LaunchTemplate"]["LaunchTemplateId"]

    # -- session logging: good preferences, bucket, group, keys
    logs_key_id, logs_key_arn = customer_key(kms, "alias/session-logs")
    data_key_id, _ = customer_key(kms, "alias/session-data")
    s3.create_bucket(Bucket="nobastion-session-logs", ObjectLockEnabledForBucket=True)
    s3.put_bucket_versioning(Bucket="nobastion-session-logs", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket="nobastion-session-logs",
        ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": logs_key_arn},
            "BucketKeyEnabled": True,
        }]},
    )
    s3.put_public_access_block(
        Bucket="nobastion-session-logs",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_policy(
        Bucket="nobastion-session-logs",
        Policy=policy({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::nobastion-session-logs", "arn:aws:s3:::nobastion-session-logs/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }),
    )
    # Buckets nobody logs sessions to: listed, details not inspected.
    s3.create_bucket(Bucket="nobastion-unrelated")
    s3.create_bucket(Bucket="nobastion-trail")
    logs.create_log_group(logGroupName="/ssm/sessions", kmsKeyId=logs_key_arn)
    logs.put_retention_policy(logGroupName="/ssm/sessions", retentionInDays=365)
    preferences(
        ssm,
        s3BucketName="nobastion-session-logs",
        s3KeyPrefix="sessions/",
        s3EncryptionEnabled=True,
        cloudWatchLogGroupName="/ssm/sessions",
        cloudWatchEncryptionEnabled=True,
        cloudWatchStreamingEnabled=True,
        kmsKeyId="alias/session-data",
        runAsEnabled=True,
        runAsDefaultUser="ssm-session",
        idleSessionTimeout="20",
        maxSessionDuration="60",
        shellProfile={"linux": "", "windows": ""},
    )
    # LOG014: custom session documents, one logged and encrypted (YAML), one not.
    preferences(
        ssm, name="good-custom-session", document_format="YAML",
        s3BucketName="nobastion-session-logs", s3EncryptionEnabled=True,
        cloudWatchLogGroupName="/ssm/sessions", cloudWatchEncryptionEnabled=True,
        kmsKeyId="alias/session-data", runAsEnabled=True, idleSessionTimeout="15",
        maxSessionDuration="60",
    )
    preferences(
        ssm, name="bad-custom-session", session_type="InteractiveCommands",
        s3BucketName="nobastion-session-logs", s3EncryptionEnabled=False,
        cloudWatchLogGroupName="", kmsKeyId="alias/session-data", runAsEnabled=True,
        idleSessionTimeout="15", maxSessionDuration="60",
    )
    # AUD003: one public document, one shared with a single account; public sharing blocked.
    command = json.dumps({
        "schemaVersion": "2.2",
        "description": "noop",
        "mainSteps": [{"action": "aws:runShellScript", "name": "noop", "inputs": {"runCommand": ["true"]}}],
    })
    ssm.create_document(Name="public-command", Content=command, DocumentType="Command")
    ssm.modify_document_permission(Name="public-command", PermissionType="Share", AccountIdsToAdd=["all"])
    ssm.create_document(Name="shared-command", Content=command, DocumentType="Command")
    ssm.modify_document_permission(Name="shared-command", PermissionType="Share", AccountIdsToAdd=["111122223333"])
    block_public_sharing(ssm)

    # AUD001 (good): a multi-region trail that is logging. AUD002 (good): EventBridge rule
    # with a target. A scheduled rule, whose targets are not read.
    trail_arn = trail.create_trail(Name="org-audit", S3BucketName="nobastion-trail", IsMultiRegionTrail=True)["TrailARN"]
    trail.start_logging(Name="org-audit")
    trail.put_event_selectors(
        TrailName="org-audit",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    events.put_rule(
        Name="start-session-alert",
        EventPattern=json.dumps({
            "source": ["aws.ssm"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventSource": ["ssm.amazonaws.com"], "eventName": ["StartSession"]},
        }),
    )
    events.put_targets(Rule="start-session-alert", Targets=[{"Id": "sns", "Arn": ALERT_TOPIC.format(region=R1, account=account.id)}])
    events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")

    out.update(
        good_vpc=good_vpc, good_default_sg=good_default_sg, good_nacl=good_nacl, good_subnet=good_subnet,
        good_sg=good_sg, good_instance=good_instance, good_endpoints=good_endpoints,
        s3_prefix_list=s3_prefix_list,
        bad_vpc=bad_vpc, bad_default_sg=bad_default_sg, bad_nacl=bad_nacl, public_subnet=public_subnet,
        private_subnet=private_subnet, managed_bad_sg=managed_bad_sg, ssh_world=ssh_world,
        rdp_world6=rdp_world6, ssh_from_group=ssh_from_group, eni_only=eni_only,
        public_keyed=public_keyed, no_profile=no_profile, lost_agent=lost_agent,
        eni_instance=eni_instance, lt_bad=lt_bad, lt_good=lt_good,
        logs_key_id=logs_key_id, logs_key_arn=logs_key_arn, data_key_id=data_key_id,
        trail_arn=trail_arn,
    )
    return out


def seed_management_r2(account):
    """Broken session logging, a managed instance without endpoints, and the metric-filter
    route to StartSession alerts."""
    ec2 = account.client("ec2", R2)
    ssm = account.client("ssm", R2)
    s3 = account.client("s3", R2)
    logs = account.client("logs", R2)
    cloudwatch = account.client("cloudwatch", R2)
    delete_default_vpc(ec2)
    vpc, default_sg, nacl = quiet_vpc(ec2, "10.2.0.0/16", "eu-vpc")
    subnet_id = subnet(ec2, vpc, "10.2.1.0/24", "eu-west-1a")
    group = security_group(ec2, vpc, "eu-https-only", egress=[tcp(443, IpRanges=[{"CidrIp": "10.0.0.0/8"}])])
    instance = launch(ec2, "eu-managed", subnet_id, [group], profile="good-instance-profile", tags={"Team": "ops"})

    s3.create_bucket(Bucket="nobastion-weak-logs", CreateBucketConfiguration={"LocationConstraint": R2})
    s3.put_bucket_encryption(
        Bucket="nobastion-weak-logs",
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    logs.create_log_group(logGroupName="/ssm/eu-sessions")
    preferences(
        ssm,
        s3BucketName="nobastion-weak-logs",
        s3EncryptionEnabled=False,
        cloudWatchLogGroupName="/ssm/eu-sessions",
        cloudWatchEncryptionEnabled=False,
        kmsKeyId="",
        runAsEnabled=False,
        idleSessionTimeout="60",
    )
    block_public_sharing(ssm, blocked=False)

    logs.create_log_group(logGroupName="cloudtrail-events")
    logs.put_retention_policy(logGroupName="cloudtrail-events", retentionInDays=90)
    # The metric filter only alerts if a logging trail covering the region delivers to its
    # log group: a regional trail does.
    trail_group = logs.describe_log_groups(logGroupNamePrefix="cloudtrail-events")["logGroups"][0]["arn"]
    iam = account.client("iam")
    delivery_role = iam.create_role(
        RoleName="cloudtrail-to-logs",
        AssumeRolePolicyDocument=policy({
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }),
    )["Role"]["Arn"]
    s3.create_bucket(Bucket="nobastion-eu-trail", CreateBucketConfiguration={"LocationConstraint": R2})
    trail = account.client("cloudtrail", R2)
    eu_trail = trail.create_trail(
        Name="eu-security",
        S3BucketName="nobastion-eu-trail",
        CloudWatchLogsLogGroupArn=trail_group,
        CloudWatchLogsRoleArn=delivery_role,
    )["TrailARN"]
    trail.start_logging(Name="eu-security")
    trail.put_event_selectors(
        TrailName="eu-security",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    logs.put_metric_filter(
        logGroupName="cloudtrail-events",
        filterName="start-session",
        filterPattern='{ ($.eventSource = "ssm.amazonaws.com") && ($.eventName = "StartSession") }',
        metricTransformations=[{"metricName": "StartSession", "metricNamespace": "Security", "metricValue": "1"}],
    )
    cloudwatch.put_metric_alarm(
        AlarmName="start-session",
        MetricName="StartSession",
        Namespace="Security",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[ALERT_TOPIC.format(region=R2, account=account.id)],
    )
    return {"eu_vpc": vpc, "eu_default_sg": default_sg, "eu_nacl": nacl, "eu_subnet": subnet_id,
            "eu_sg": group, "eu_instance": instance, "eu_trail": eu_trail}


def seed_management_r3(account):
    ec2 = account.client("ec2", R3)
    ssm = account.client("ssm", R3)
    kms = account.client("kms", R3)
    delete_default_vpc(ec2)
    key_id, _ = customer_key(kms, "alias/session-data-eu")
    # LOG002: preferences that log nowhere (everything else in order).
    preferences(ssm, kmsKeyId="alias/session-data-eu", runAsEnabled=True,
                idleSessionTimeout="10", maxSessionDuration="120")
    block_public_sharing(ssm)
    return {"central_key_id": key_id}


def seed_member(management, endpoint):
    org = management.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member_id = org.create_account(Email="workloads@example.com", AccountName="workloads")[
        "CreateAccountStatus"
    ]["AccountId"]
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=member_id, SourceParentId=root, DestinationParentId=ou)
    scp = org.create_policy(
        Name="deny-instance-connect",
        Description="SSH keys stay out",
        Type="SERVICE_CONTROL_POLICY",
        Content=policy({"Effect": "Deny", "Action": "ec2-instance-connect:*", "Resource": "*"}),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=ou)

    sts = management.client("sts")
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{member_id}:role/{ROLE_NAME}", RoleSessionName="seed"
    )["Credentials"]
    member = Account(endpoint, member_id, {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    })

    # R1: preferences naming a log group that does not exist (LOG013); a local trail that is
    # not logging (AUD001); a StartSession rule without a target (not judged by AUD002: no
    # managed instances in the region).
    ec2 = member.client("ec2", R1)
    ssm = member.client("ssm", R1)
    kms = member.client("kms", R1)
    delete_default_vpc(ec2)
    customer_key(kms, "alias/member-session")
    preferences(
        ssm, cloudWatchLogGroupName="/ssm/deleted-sessions", cloudWatchEncryptionEnabled=True,
        kmsKeyId="alias/member-session", runAsEnabled=True, idleSessionTimeout="20",
        maxSessionDuration="60",
    )
    block_public_sharing(ssm)
    member.client("s3", R1).create_bucket(Bucket="nobastion-member-trail")
    member_trail = member.client("cloudtrail", R1).create_trail(
        Name="member-local", S3BucketName="nobastion-member-trail"
    )["TrailARN"]
    member.client("events", R1).put_rule(
        Name="start-session-untargeted",
        EventPattern=json.dumps({"source": ["aws.ssm"], "detail": {"eventName": ["StartSession"]}}),
    )

    # R2: a managed instance and no preferences document (LOG001).
    ec2 = member.client("ec2", R2)
    delete_default_vpc(ec2)
    vpc, _, _ = quiet_vpc(ec2, "10.20.0.0/16", "member-vpc")
    subnet_id = subnet(ec2, vpc, "10.20.1.0/24", "eu-west-1a")
    group = security_group(ec2, vpc, "member-https-only", egress=[tcp(443, IpRanges=[{"CidrIp": "10.0.0.0/8"}])])
    iam = member.client("iam")
    iam.create_role(RoleName="member-instance-role", AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(RoleName="member-instance-role", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    iam.create_instance_profile(InstanceProfileName="member-instance-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="member-instance-profile", RoleName="member-instance-role")
    # Allowed EC2 Instance Connect by its own policy, denied by the OU's SCP: no IAM006.
    iam.create_role(RoleName="member-instance-connect", AssumeRolePolicyDocument=account_trust(member_id))
    iam.put_role_policy(
        RoleName="member-instance-connect",
        PolicyName="eic",
        PolicyDocument=policy(allow("ec2-instance-connect:SendSSHPublicKey")),
    )
    member_instance = launch(ec2, "member-managed", subnet_id, [group], profile="member-instance-profile",
                             tags={"Team": "ops"})
    block_public_sharing(member.client("ssm", R2))

    # R3: nothing but the sharing block.
    delete_default_vpc(member.client("ec2", R3))
    block_public_sharing(member.client("ssm", R3))

    return {
        "member": member_id,
        "member_ou": ou,
        "member_root": root,
        "member_scp": scp,
        "member_trail": member_trail,
        "member_vpc": vpc,
        "member_instance": member_instance,
        "member_sg": group,
    }


def seed(endpoint, args):
    management = Account(endpoint, MANAGEMENT)
    out = {"management": MANAGEMENT, "regions": REGIONS, "role_name": ROLE_NAME}
    out["iam"] = seed_iam(management)
    # Account-level public access block: on in the management account.
    management.client("s3control").put_public_access_block(
        AccountId=MANAGEMENT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    out.update(seed_management_r1(management))
    out.update(seed_management_r2(management))
    out.update(seed_management_r3(management))
    out.update(seed_member(management, endpoint))
    return out
