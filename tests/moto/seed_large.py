"""A large account for the live-scan benchmark (benches/live_scan.rs): by default 2,000
security groups with rules, 500 instances (most of them managed, some with public IPs or key
pairs), 1,000 roles each with an inline policy and attached managed policies (customer and
AWS-managed), spread over three regions, plus session preferences, log groups, a trail and
an EventBridge rule per region.

Seeded through the AWS API (boto3) by tests/moto/launcher.py. Seed arguments override the
sizes: `groups=N`, `instances=N`, `roles=N`, `regions=a,b,c`. The returned counts let the
benchmark compute the minimum number of calls pagination requires.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import boto3

ACCOUNT = "123456789012"
AMI = "ami-12c6146b"
WORKERS = 8


def client(endpoint, service, region):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def split(total, parts):
    """`total` spread as evenly as possible over `parts`."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def policy(statements):
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def seed_region(endpoint, region, groups, instances, profiles):
    ec2 = client(endpoint, "ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnets = []
    for index, zone in enumerate(("a", "b")):
        subnet = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.50.{index}.0/24", AvailabilityZone=f"{region}{zone}"
        )["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": index == 1})
        subnets.append(subnet)

    def make_group(index):
        local = client(endpoint, "ec2", region)
        group = local.create_security_group(
            GroupName=f"app-{index:05d}", Description="benchmark", VpcId=vpc
        )["GroupId"]
        permissions = [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "internal https"}]},
        ]
        if index % 10 == 0:
            permissions.append({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
        local.authorize_security_group_ingress(GroupId=group, IpPermissions=permissions)
        return group

    with ThreadPoolExecutor(WORKERS) as pool:
        group_ids = list(pool.map(make_group, range(groups)))

    launched = 0
    batch = 0
    while launched < instances:
        count = min(50, instances - launched)
        kwargs = {
            "ImageId": AMI,
            "MinCount": count,
            "MaxCount": count,
            "InstanceType": "t3.micro",
            "SubnetId": subnets[batch % 2],
            "SecurityGroupIds": [group_ids[batch % len(group_ids)]],
        }
        # Most instances are managed: one batch in four has no profile; batches alternate between a
        # private subnet and one that assigns public IPs; one batch in three has a key pair.
        if batch % 4 != 3:
            kwargs["IamInstanceProfile"] = {"Name": profiles[batch % len(profiles)]}
        if batch % 3 == 0:
            kwargs["KeyName"] = "benchmark-key"
        reservation = ec2.run_instances(**kwargs)
        if "IamInstanceProfile" in kwargs:
            # moto associates the profile with the first instance of a reservation only.
            for instance in reservation["Instances"][1:]:
                ec2.associate_iam_instance_profile(
                    IamInstanceProfile=kwargs["IamInstanceProfile"],
                    InstanceId=instance["InstanceId"],
                )
        launched += count
        batch += 1

    ssm = client(endpoint, "ssm", region)
    ssm.create_document(
        Name="SSM-SessionManagerRunShell",
        DocumentType="Session",
        Content=json.dumps({
            "schemaVersion": "1.0",
            "sessionType": "Standard_Stream",
            "inputs": {"cloudWatchLogGroupName": "/ssm/sessions", "cloudWatchEncryptionEnabled": True,
                       "runAsEnabled": True, "idleSessionTimeout": "20"},
        }),
    )
    logs = client(endpoint, "logs", region)
    logs.create_log_group(logGroupName="/ssm/sessions")
    events = client(endpoint, "events", region)
    events.put_rule(Name="start-session", EventPattern=json.dumps({"source": ["aws.ssm"]}))
    events.put_targets(Rule="start-session", Targets=[
        {"Id": "sns", "Arn": f"arn:aws:sns:{region}:{ACCOUNT}:alerts"}
    ])
    return {"groups": groups, "instances": instances}


def seed(endpoint, args):
    regions = args.get("regions", "us-east-1,eu-west-1,eu-central-1").split(",")
    groups = int(args.get("groups", 2000))
    instances = int(args.get("instances", 500))
    roles = int(args.get("roles", 1000))

    iam = client(endpoint, "iam", regions[0])
    customer = [
        iam.create_policy(
            PolicyName=f"team-{index:02d}",
            PolicyDocument=policy([{"Effect": "Allow", "Action": ["s3:GetObject", "ssm:GetParameter"],
                                    "Resource": "*"}]),
        )["Policy"]["Arn"]
        for index in range(20)
    ]
    aws_managed = [
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    ]
    trust = policy([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                     "Action": "sts:AssumeRole"}])

    def make_role(index):
        local = client(endpoint, "iam", regions[0])
        name = f"service-{index:05d}"
        local.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
        tag_scoped = {"StringEquals": {"ssm:resourceTag/Team": f"team-{index % 20}"}}
        local.put_role_policy(
            RoleName=name,
            PolicyName="sessions",
            PolicyDocument=policy([
                {"Effect": "Allow", "Action": "ssm:StartSession",
                 "Resource": "arn:aws:ec2:*:*:instance/*", "Condition": tag_scoped},
                {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"},
            ]),
        )
        local.attach_role_policy(RoleName=name, PolicyArn=customer[index % len(customer)])
        local.attach_role_policy(RoleName=name, PolicyArn=aws_managed[index % len(aws_managed)])

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(make_role, range(roles)))

    profiles = []
    for index in range(10):
        name = f"instances-{index}"
        iam.create_instance_profile(InstanceProfileName=name)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=f"service-{index:05d}")
        profiles.append(name)

    for region in regions:
        client(endpoint, "ec2", region).create_key_pair(KeyName="benchmark-key")
    per_region = {}
    for region, group_count, instance_count in zip(
        regions, split(groups, len(regions)), split(instances, len(regions))
    ):
        per_region[region] = seed_region(endpoint, region, group_count, instance_count, profiles)

    s3 = client(endpoint, "s3", regions[0])
    s3.create_bucket(Bucket="benchmark-trail")
    trail = client(endpoint, "cloudtrail", regions[0])
    trail.create_trail(Name="audit", S3BucketName="benchmark-trail", IsMultiRegionTrail=True)
    trail.start_logging(Name="audit")
    return {
        "account": ACCOUNT,
        "regions": regions,
        "groups": groups,
        "instances": instances,
        "roles": roles,
        "customer_policies": len(customer),
        "aws_managed_policies": len(aws_managed),
        "instance_profiles": len(profiles),
        "per_region": per_region,
    }
