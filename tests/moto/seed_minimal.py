"""A small account for the live-scan failure tests (tests/live_collect.rs): one region with a
VPC, a managed instance, session preferences logging to a bucket and a log group, a trail and
an EventBridge rule — one resource behind every collector, so a fault injected into one
service shows up in exactly one place. With seed argument `org=1` the account also creates
an organization with one member account.

Seeded through the AWS API (boto3) by tests/moto/launcher.py.
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


def seed(endpoint, args):
    ec2 = client(endpoint, "ec2")
    iam = client(endpoint, "iam")
    ssm = client(endpoint, "ssm")
    s3 = client(endpoint, "s3")
    logs = client(endpoint, "logs")
    events = client(endpoint, "events")
    trail = client(endpoint, "cloudtrail")

    iam.create_role(
        RoleName="instance-role",
        AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                           "Action": "sts:AssumeRole"}],
        }),
    )
    iam.attach_role_policy(
        RoleName="instance-role",
        PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    )
    iam.create_instance_profile(InstanceProfileName="instance-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="instance-profile", RoleName="instance-role")

    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    # moto turns MapPublicIpOnLaunch on for the first subnet of an availability zone.
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": False})
    group = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    instance = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [group],
                            "AssociatePublicIpAddress": False}],
        IamInstanceProfile={"Name": "instance-profile"},
    )["Instances"][0]["InstanceId"]

    s3.create_bucket(Bucket="minimal-session-logs")
    logs.create_log_group(logGroupName="/ssm/minimal")
    ssm.create_document(
        Name="SSM-SessionManagerRunShell",
        DocumentType="Session",
        Content=json.dumps({
            "schemaVersion": "1.0",
            "sessionType": "Standard_Stream",
            "inputs": {
                "s3BucketName": "minimal-session-logs",
                "s3EncryptionEnabled": True,
                "cloudWatchLogGroupName": "/ssm/minimal",
                "cloudWatchEncryptionEnabled": True,
                "runAsEnabled": True,
            },
        }),
    )
    trail.create_trail(Name="minimal", S3BucketName="minimal-session-logs", IsMultiRegionTrail=True)
    trail.start_logging(Name="minimal")
    events.put_rule(Name="start-session", EventPattern=json.dumps({"source": ["aws.ssm"]}))
    events.put_targets(Rule="start-session", Targets=[
        {"Id": "sns", "Arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"}
    ])

    out = {"account": ACCOUNT, "region": REGION, "vpc": vpc, "instance": instance}
    if args.get("auditor"):
        # A principal for the IAM-enforcing emulator: everything allowed except the actions
        # of one service (`auditor=logs` denies logs:*).
        iam.create_user(UserName="auditor")
        iam.put_user_policy(
            UserName="auditor",
            PolicyName="all-but-one-service",
            PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Effect": "Deny", "Action": f"{args['auditor']}:*", "Resource": "*"},
                ],
            }),
        )
        key = iam.create_access_key(UserName="auditor")["AccessKey"]
        out["auditor_key"] = key["AccessKeyId"]
        out["auditor_secret"] = key["SecretAccessKey"]
    if args.get("regions") == "1":
        out["enabled_regions"] = sorted(
            r["RegionName"]
            for r in ec2.describe_regions()["Regions"]
            if r.get("OptInStatus") != "not-opted-in"
        )
    if args.get("org") == "1":
        org = client(endpoint, "organizations")
        org.create_organization(FeatureSet="ALL")
        out["member"] = org.create_account(Email="member@example.com", AccountName="member")[
            "CreateAccountStatus"
        ]["AccountId"]
    return out
