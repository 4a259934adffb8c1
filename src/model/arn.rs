//! Building and taking apart ARNs for the resources nobastion reports on.

/// The parts of an ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Split an ARN; `None` when it does not have the six parts.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }
}

/// `arn:aws:ec2:REGION:ACCOUNT:KIND/ID` for EC2 resources (`instance`, `security-group`, …).
pub fn ec2(partition: &str, region: &str, account: &str, kind: &str, id: &str) -> String {
    format!("arn:{partition}:ec2:{region}:{account}:{kind}/{id}")
}

pub fn ssm_document(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:ssm:{region}:{account}:document/{name}")
}

pub fn s3_bucket(partition: &str, name: &str) -> String {
    format!("arn:{partition}:s3:::{name}")
}

pub fn log_group(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:logs:{region}:{account}:log-group:{name}")
}

pub fn cloudtrail(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:cloudtrail:{region}:{account}:trail/{name}")
}

/// The partition of a region name (`cn-north-1` → `aws-cn`, `us-gov-west-1` → `aws-us-gov`).
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_colons_in_resource() {
        let arn =
            Arn::parse("arn:aws:logs:us-east-1:111122223333:log-group:/ssm/sessions:*").unwrap();
        assert_eq!(arn.service, "logs");
        assert_eq!(arn.account, "111122223333");
        assert_eq!(arn.resource, "log-group:/ssm/sessions:*");
        assert!(Arn::parse("not-an-arn").is_none());
        assert!(Arn::parse("arn:aws:s3").is_none());
    }

    #[test]
    fn builders() {
        assert_eq!(
            ec2("aws", "eu-west-1", "111122223333", "instance", "i-1"),
            "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"
        );
        assert_eq!(s3_bucket("aws", "logs"), "arn:aws:s3:::logs");
        assert_eq!(partition_of_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of_region("eu-west-1"), "aws");
    }
}
