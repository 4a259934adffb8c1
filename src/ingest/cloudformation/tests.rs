//! Tests of the CloudFormation ingester: intrinsic functions, conditions, positions and the
//! CloudFormation-specific defaults.

use crate::ingest::ingest_bytes;
use crate::model::Account;

fn ingest(path: &str, text: &str) -> Account {
    let (_, snapshot) = ingest_bytes(path, text.as_bytes()).unwrap();
    snapshot.accounts.into_iter().next().unwrap()
}

#[test]
fn intrinsics_are_evaluated_where_the_template_decides() {
    let template = r"
Parameters:
  Env: {Type: String, Default: dev}
  Cidr: {Type: String, Default: 10.0.0.0/8}
  NoDefault: {Type: String}
  Ami: {Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: /aws/ami}
Mappings:
  Ports: {Admin: {Ssh: 22}}
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupName: !Sub '${Env}-${AWS::Region}-sg'
      GroupDescription: d
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: !FindInMap [Ports, Admin, Ssh]
          ToPort: !Select [1, [0, 22]]
          CidrIp: !Ref Cidr
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: !Ref NoDefault
        - IpProtocol: tcp
          FromPort: 80
          ToPort: 80
          CidrIp: !Join ['/', ['0.0.0.0', '0']]
  Inst:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Ref Ami
      SubnetId: !GetAZs ''
";
    let account = ingest("t.yaml", template);
    assert_eq!(account.id, "000000000000");
    let region = &account.regions[0];
    assert_eq!(region.name, "unknown-region");
    let sg = &region.security_groups.as_option().unwrap()[0];
    assert_eq!(sg.name, "dev-unknown-region-sg");
    let ssh = &sg.ingress[0];
    assert_eq!((ssh.from_port, ssh.to_port), (Some(22), Some(22)));
    assert_eq!(ssh.ipv4_ranges, ["10.0.0.0/8"]);
    assert!(sg.ingress[1].unknown["ipv4_ranges"].contains("parameter NoDefault has no default"));
    assert_eq!(sg.ingress[2].ipv4_ranges, ["0.0.0.0/0"]);
    let instance = &region.instances.as_option().unwrap()[0];
    assert!(instance.unknown["subnet_id"].contains("deploy time"));
}

#[test]
fn conditions_stay_unknown_and_default_egress_is_added() {
    let template = r"
Conditions:
  Open: !Equals [a, a]
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: d
      SecurityGroupIngress: !If [Open, [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}], !Ref 'AWS::NoValue']
  Closed:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: no rules
      SecurityGroupIngress:
        - !If [Open, {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}, !Ref 'AWS::NoValue']
";
    let account = ingest("t.yaml", template);
    let groups = account.regions[0].security_groups.as_option().unwrap();
    assert!(groups[0].unknown["ingress"].contains("depends on condition Open"));
    assert_eq!(
        groups[0].egress.len(),
        1,
        "the default egress rule AWS adds"
    );
    assert_eq!(groups[0].egress[0].ipv4_ranges, ["0.0.0.0/0"]);
    assert!(groups[1].unknown["ingress"].contains("condition Open"));
}

#[test]
fn standalone_rules_join_their_group_by_ref() {
    let template = r#"{
  "Resources": {
    "Web": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web", "SecurityGroupEgress": []}},
    "WebSsh": {"Type": "AWS::EC2::SecurityGroupIngress",
               "Properties": {"GroupId": {"Fn::GetAtt": ["Web", "GroupId"]}, "IpProtocol": "-1", "SourceSecurityGroupId": {"Ref": "Web"}}}
  }
}"#;
    let account = ingest("t.json", template);
    let groups = account.regions[0].security_groups.as_option().unwrap();
    assert_eq!(groups.len(), 1);
    let rule = &groups[0].ingress[0];
    assert!(rule.referenced_groups[0].is_self);
    let origin = rule.origin.as_ref().unwrap();
    assert_eq!(
        (origin.line, origin.address.as_deref()),
        (4, Some("WebSsh"))
    );
    assert!(groups[0].egress.is_empty(), "explicitly no egress");
}

#[test]
fn policies_keep_yaml_dates_as_versions_and_statement_positions() {
    let template = "Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: ops
      AssumeRolePolicyDocument:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore
        - !Ref Extra
      Policies:
        - PolicyName: sessions
          PolicyDocument:
            Version: 2012-10-17
            Statement:
              - Effect: Allow
                Action: ssm:StartSession
                Resource: !Sub arn:aws:ec2:${AWS::Region}:${AWS::AccountId}:instance/*
              - Effect: Allow
                Action: ssm:TerminateSession
                Resource: '*'
  Extra:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: !Sub |
        {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ec2-instance-connect:*\", \"Resource\": \"*\"}]}
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
";
    let account = ingest("iam.yaml", template);
    let iam = account.iam.as_option().unwrap();
    let role = &iam.roles[0];
    assert_eq!(role.name, "ops");
    assert_eq!(
        role.trust_policy.as_ref().unwrap().document["Version"],
        "2012-10-17"
    );
    let inline = &role.inline_policies[0];
    assert_eq!(inline.document.document["Version"], "2012-10-17");
    assert_eq!(
        inline.document.document["Statement"][0]["Resource"],
        "arn:aws:ec2:unknown-region:000000000000:instance/*"
    );
    let lines: Vec<u32> = inline
        .document
        .statement_origins
        .iter()
        .map(|o| o.line)
        .collect();
    assert_eq!(lines, [20, 23]);
    assert_eq!(
        role.attached_policies,
        [
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "Extra"
        ]
    );
    let extra = iam.policy("Extra").unwrap();
    assert_eq!(
        extra.document.document["Statement"][0]["Action"],
        "ec2-instance-connect:*"
    );
    assert_eq!(role.instance_profiles, ["Profile"]);
    assert_eq!(iam.instance_profiles[0].roles, ["ops"]);
    assert!(role.unknown.is_empty(), "{:?}", role.unknown);
}

#[test]
fn conditional_inline_policies_are_unknown_not_absent() {
    let template = r"
Conditions:
  Create: !Equals [0, 0]
Resources:
  Exec:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: []}
      Policies: !If
        - Create
        - - PolicyName: root
            PolicyDocument: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}
        - !Ref AWS::NoValue
";
    let account = ingest("t.yaml", template);
    let role = &account.iam.as_option().unwrap().roles[0];
    assert!(role.inline_policies.is_empty());
    assert!(role.unknown["inline_policies"].contains("condition Create"));
}

#[test]
fn instances_read_network_interfaces_and_documents_their_inputs() {
    let template = r"
Resources:
  Subnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-1, CidrBlock: 10.0.0.0/24, MapPublicIpOnLaunch: 'true'}}
  App:
    Type: AWS::EC2::Instance
    Properties:
      KeyName: ops
      NetworkInterfaces:
        - DeviceIndex: '0'
          SubnetId: !Ref Subnet
          AssociatePublicIpAddress: false
          GroupSet: [sg-1]
  Prefs:
    Type: AWS::SSM::Document
    Properties:
      Name: SSM-SessionManagerRunShell
      DocumentType: Session
      Content:
        schemaVersion: '1.0'
        sessionType: Standard_Stream
        inputs:
          s3BucketName: !Ref Logs
          s3EncryptionEnabled: true
          cloudWatchLogGroupName: !Ref Missing
  Logs: {Type: AWS::S3::Bucket, Properties: {BucketName: session-logs}}
";
    let account = ingest("t.yaml", template);
    let region = &account.regions[0];
    let app = &region.instances.as_option().unwrap()[0];
    assert_eq!(app.subnet_id.as_deref(), Some("Subnet"));
    assert_eq!(app.associate_public_ip_address, Some(false));
    assert_eq!(app.security_group_ids, ["sg-1"]);
    assert_eq!(app.vpc_id.as_deref(), Some("vpc-1"));
    let doc = &region.ssm_documents.as_option().unwrap()[0];
    let inputs = doc.inputs.as_ref().unwrap();
    assert_eq!(inputs.s3_bucket_name.as_deref(), Some("session-logs"));
    assert_eq!(inputs.s3_encryption_enabled, Some(true));
    assert_eq!(inputs.cloudwatch_log_group_name, None);
    assert!(doc.unknown["inputs.cloudwatch_log_group_name"].contains("Missing"));
    assert_eq!(doc.session_type.as_deref(), Some("Standard_Stream"));
}
