//! IAM policy engine: parsing, matching, condition evaluation, request evaluation and the
//! Session Manager queries the IAM rules ask. (Being built in the IAM engine issue.)
