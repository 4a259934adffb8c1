"""The account of the access-map integration test (tests/access_live.rs): managed instances
with different tags and principals whose access is unscoped (admin), tag-scoped (dev-alice),
group-granted (ops-bob, through the ops group), boundary-limited (the ops-admin role: ssm:*
under a boundary that allows StartSession only; moto lacks PutUserPermissionsBoundary, so
the boundary is a role's), denied by a Deny statement on production (denied-dave), or
nothing (a reader with an AWS managed read-only policy, the instances' own role).

Instances are managed when they carry the instance profile (tests/moto/launcher.py derives
DescribeInstanceInformation from EC2); one instance has none and is left out of the map.

Seeded through the AWS API (boto3) by tests/moto/launcher.py; returns the instance ids.
"""

import json

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"


def client(endpoint, service, region=REGION):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed(endpoint, args):
    ec2 = client(endpoint, "ec2")
    iam = client(endpoint, "iam")

    # The instances' role: the agent's permissions only.
    iam.create_role(
        RoleName="app-instance",
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
             "Action": "sts:AssumeRole"}),
    )
    iam.attach_role_policy(
        RoleName="app-instance",
        PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    )
    iam.create_instance_profile(InstanceProfileName="app")
    iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app-instance")

    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": False})

    def instance(tags, profile=True):
        params = {
            "ImageId": "ami-12c6146b",
            "MinCount": 1,
            "MaxCount": 1,
            "SubnetId": subnet,
        }
        if tags:
            params["TagSpecifications"] = [{
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
            }]
        if profile:
            params["IamInstanceProfile"] = {"Name": "app"}
        return ec2.run_instances(**params)["Instances"][0]["InstanceId"]

    ids = {
        "prod": instance({"Env": "prod", "Name": "web"}),
        "dev": instance({"Env": "dev", "Name": "build"}),
        "untagged": instance({}),
        "unmanaged": instance({"Env": "prod"}, profile=False),
    }

    # Unscoped.
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="everything",
                        PolicyDocument=doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    # Tag-scoped: shells on Env=dev instances.
    iam.create_user(UserName="dev-alice")
    iam.put_user_policy(UserName="dev-alice", PolicyName="dev-sessions", PolicyDocument=doc(
        {"Sid": "StartOnDev", "Effect": "Allow", "Action": "ssm:StartSession",
         "Resource": "arn:aws:ec2:*:*:instance/*",
         "Condition": {"StringEquals": {"ssm:resourceTag/Env": "dev"}}},
        {"Sid": "ShellDocument", "Effect": "Allow", "Action": "ssm:StartSession",
         "Resource": "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"},
    ))
    # Group-granted: production sessions and one port-forwarding document.
    iam.create_group(GroupName="ops")
    iam.put_group_policy(GroupName="ops", PolicyName="ops-sessions", PolicyDocument=doc(
        {"Sid": "StartOnProd", "Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*",
         "Condition": {"StringEquals": {"ssm:resourceTag/Env": "prod"}}},
        {"Sid": "PortForwarding", "Effect": "Allow", "Action": "ssm:StartSession",
         "Resource": "arn:aws:ssm:*::document/AWS-StartPortForwardingSession"},
        {"Sid": "AssumeOps", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": f"arn:aws:iam::{ACCOUNT}:role/ops-*"},
    ))
    iam.create_user(UserName="ops-bob")
    iam.add_user_to_group(GroupName="ops", UserName="ops-bob")
    # Denied on production by a Deny statement.
    iam.create_user(UserName="denied-dave")
    iam.put_user_policy(UserName="denied-dave", PolicyName="not-prod", PolicyDocument=doc(
        {"Sid": "StartAnywhere", "Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*"},
        {"Sid": "NeverProd", "Effect": "Deny", "Action": "ssm:StartSession", "Resource": "*",
         "Condition": {"StringEquals": {"ssm:resourceTag/Env": "prod"}}},
    ))
    # Nothing that opens a shell.
    iam.create_user(UserName="reader")
    iam.attach_user_policy(UserName="reader",
                           PolicyArn="arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess")
    # Boundary-limited: ssm:* under a boundary that allows StartSession only.
    boundary = iam.create_policy(
        PolicyName="sessions-only",
        PolicyDocument=doc({"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*"}),
    )["Policy"]["Arn"]
    iam.create_role(
        RoleName="ops-admin",
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "ops-2026"}}},
        ),
        PermissionsBoundary=boundary,
    )
    iam.put_role_policy(RoleName="ops-admin", PolicyName="ssm-all",
                        PolicyDocument=doc({"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}))

    return {"account": ACCOUNT, "region": REGION, **ids}
