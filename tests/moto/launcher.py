"""Start moto's AWS emulator for nobastion's live-scan tests and benchmark.

Used by tests/support/moto.rs (and benches/live_scan.rs): the Rust side runs
`$NOBASTION_PYTHON tests/moto/launcher.py [--seed FILE] [--fault JSON ...]`, reads one JSON
line from stdout ({"endpoint": ..., "seed": ...}) and keeps stdin open; the emulator stops
when stdin closes, so a test that panics or is killed never leaves a server behind.

What it adds to moto 5.2.5 (measured gaps, see docs/live-scan.md):

* SSM DescribeInstanceInformation, derived from EC2: a pending or running instance with an
  instance profile is `Online`, a stopped one with a profile `ConnectionLost`, an instance
  without a profile is not managed. The test-only tag `nobastion-test:ping-status` overrides
  the status (`absent` hides the instance). Paginated like the real API.
* SSM Get/Update/ResetServiceSetting, stored per account and region, with AWS's defaults.
* CloudWatch over the Smithy RPC v2 CBOR protocol the AWS SDK for Rust uses (moto speaks
  only JSON and query to CloudWatch), translated with botocore's own model-driven codecs.
* S3 GetBucketVersioning with the root element S3 sends (`VersioningConfiguration`).
* Errors of JSON-protocol services in JSON (moto sends authorization failures as XML).
* `--enforce-iam`: after seeding, moto checks signatures and IAM policies on every request
  (translated CloudWatch requests are signed again with the caller's key).
* Fault injection (`--fault`), applied after seeding: a matching request (service as signed,
  operation, optional account, region, remaining count) gets the error response the real
  service would send (AccessDenied, throttling, ...), in the wire protocol of that service.

Nothing here reaches the network: the server binds 127.0.0.1 on a port the OS picks.
"""

import argparse
import contextlib
import datetime
import importlib.util
import json
import logging
import os
import re
import sys
import threading
import urllib.parse

# Must be set before moto's IAM backend is created (AWS managed policies exist only then).
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.core.exceptions import JsonRESTError  # noqa: E402
from moto.core.responses import ActionResult, EmptyResult  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.responses import S3Response  # noqa: E402
from moto.ssm.responses import SimpleSystemManagerResponse  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

PING_OVERRIDE_TAG = "nobastion-test:ping-status"

# ---------------------------------------------------------------------------------------
# SSM operations moto lacks
# ---------------------------------------------------------------------------------------


def _instance_profile_of(backend, instance):
    if getattr(instance, "iam_instance_profile", None):
        return instance.iam_instance_profile
    association = backend.iam_instance_profile_associations.get(instance.id)
    return association if association is not None else None


def _describe_instance_information(self):
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[self.current_account][self.region]
    max_results = int(self._get_param("MaxResults") or 50)
    start = int(self._get_param("NextToken") or 0)
    infos = []
    for instance in sorted(backend.all_instances(), key=lambda i: i.id):
        tags = {t["key"]: t["value"] for t in instance.get_tags()}
        override = tags.get(PING_OVERRIDE_TAG)
        if override == "absent":
            continue
        state = instance.state
        if override is None:
            if not _instance_profile_of(backend, instance):
                continue
            if state in ("pending", "running"):
                status = "Online"
            elif state in ("stopping", "stopped"):
                status = "ConnectionLost"
            else:
                continue
        else:
            status = override
        infos.append(
            {
                "InstanceId": instance.id,
                "PingStatus": status,
                "LastPingDateTime": datetime.datetime.now(datetime.timezone.utc),
                "AgentVersion": "3.3.1142.0",
                "IsLatestVersion": True,
                "PlatformType": "Windows" if instance.platform == "windows" else "Linux",
                "PlatformName": "Amazon Linux",
                "ResourceType": "EC2Instance",
                "IPAddress": instance.private_ip,
                "ComputerName": f"{instance.id}.ec2.internal",
            }
        )
    page = infos[start : start + max_results]
    result = {"InstanceInformationList": page}
    if start + max_results < len(infos):
        result["NextToken"] = str(start + max_results)
    return ActionResult(result)


# AWS's defaults for the settings nobastion reads.
_SERVICE_SETTING_DEFAULTS = {
    "/ssm/documents/console/public-sharing-permission": "Enable",
}
_service_settings = {}
_settings_lock = threading.Lock()


def _setting_arn(self, setting_id):
    return f"arn:aws:ssm:{self.region}:{self.current_account}:servicesetting{setting_id}"


def _service_setting(self, setting_id):
    if setting_id not in _SERVICE_SETTING_DEFAULTS:
        raise JsonRESTError(
            "ServiceSettingNotFound", f"No setting found for SettingId {setting_id}"
        )
    with _settings_lock:
        stored = _service_settings.get((self.current_account, self.region, setting_id))
    value = stored if stored is not None else _SERVICE_SETTING_DEFAULTS[setting_id]
    return {
        "SettingId": setting_id,
        "SettingValue": value,
        "LastModifiedDate": datetime.datetime.now(datetime.timezone.utc),
        "LastModifiedUser": "System",
        "ARN": _setting_arn(self, setting_id),
        "Status": "Default" if stored is None else "Customized",
    }


def _get_service_setting(self):
    return ActionResult({"ServiceSetting": _service_setting(self, self._get_param("SettingId"))})


def _update_service_setting(self):
    setting_id = self._get_param("SettingId")
    _service_setting(self, setting_id)  # validates the id
    with _settings_lock:
        _service_settings[(self.current_account, self.region, setting_id)] = self._get_param(
            "SettingValue"
        )
    return EmptyResult()


def _reset_service_setting(self):
    setting_id = self._get_param("SettingId")
    _service_setting(self, setting_id)
    with _settings_lock:
        _service_settings.pop((self.current_account, self.region, setting_id), None)
    return ActionResult({"ServiceSetting": _service_setting(self, setting_id)})


def _get_bucket_versioning(self):
    # moto serializes the root element as <GetBucketVersioningResponse>; S3 (and the AWS SDK
    # for Rust, which checks it) use <VersioningConfiguration>.
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"{inner}</VersioningConfiguration>"
    )
    return 200, {"Content-Type": "application/xml"}, body


S3Response.get_bucket_versioning = _get_bucket_versioning


def install_ssm_extras():
    SimpleSystemManagerResponse.describe_instance_information = _describe_instance_information
    SimpleSystemManagerResponse.get_service_setting = _get_service_setting
    SimpleSystemManagerResponse.update_service_setting = _update_service_setting
    SimpleSystemManagerResponse.reset_service_setting = _reset_service_setting

# ---------------------------------------------------------------------------------------
# Fault injection
# ---------------------------------------------------------------------------------------

_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")

# Signing name → protocol family of the error body.
_QUERY_XML = {"iam", "sts", "monitoring"}
_EC2 = {"ec2"}
_REST_XML = {"s3"}


class Fault:
    def __init__(self, spec):
        self.service = spec["service"]
        self.operation = spec["operation"]
        self.code = spec["code"]
        self.status = int(spec.get("status", 400))
        self.message = spec.get("message", f"injected {self.code} for {self.operation}")
        self.account = spec.get("account")
        self.region = spec.get("region")
        self.remaining = spec.get("count")  # None: every matching request
        self.hits = 0


class FaultInjector:
    """WSGI middleware in front of moto that answers matching requests with an error."""

    def __init__(self, app):
        self.app = app
        self.faults = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if self.faults:
            fault = self._match(environ)
            if fault is not None:
                return self._respond(fault, environ, start_response)
        if environ.get("HTTP_X_AMZ_TARGET"):
            return _json_errors(self.app, environ, start_response)
        return self.app(environ, start_response)

    def _match(self, environ):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        found = _CREDENTIAL.search(auth)
        if not found:
            return None
        access_key, region, service = found.groups()
        operation = _operation(environ, service)
        if operation is None:
            return None
        with self.lock:
            for fault in self.faults:
                if fault.service != service or fault.operation != operation:
                    continue
                if fault.region and fault.region != region:
                    continue
                if fault.account and fault.account != _account_of(access_key):
                    continue
                if fault.remaining is not None:
                    if fault.remaining <= 0:
                        continue
                    fault.remaining -= 1
                fault.hits += 1
                return fault
        return None

    def _respond(self, fault, environ, start_response):
        service = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", "")).group(3)
        if _CBOR_PATH.match(environ.get("PATH_INFO", "")):
            body = _cbor_text_map({"__type": fault.code, "message": fault.message})
            headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        elif environ.get("HTTP_X_AMZ_TARGET"):
            body = json.dumps({"__type": fault.code, "message": fault.message})
            headers = [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-ErrorType", fault.code),
            ]
        elif service in _EC2:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
                f"<Code>{fault.code}</Code><Message>{fault.message}</Message>"
                "</Error></Errors><RequestID>nobastion-fault</RequestID></Response>"
            )
            headers = [("Content-Type", "text/xml")]
        elif service in _REST_XML:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f"<Error><Code>{fault.code}</Code><Message>{fault.message}</Message>"
                "<RequestId>nobastion-fault</RequestId></Error>"
            )
            headers = [("Content-Type", "application/xml")]
        else:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error>'
                f"<Type>Sender</Type><Code>{fault.code}</Code><Message>{fault.message}</Message>"
                "</Error><RequestId>nobastion-fault</RequestId></ErrorResponse>"
            )
            headers = [("Content-Type", "text/xml")]
        encoded = body if isinstance(body, bytes) else body.encode()
        headers.append(("Content-Length", str(len(encoded))))
        reason = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests"}.get(
            fault.status, "Error"
        )
        start_response(f"{fault.status} {reason}", headers)
        return [encoded]


_XML_CODE = re.compile(r"<Code>([^<]*)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def _json_errors(app, environ, start_response):
    """moto answers authorization failures of JSON-protocol services (CloudWatch Logs, SSM,
    KMS, ...) with an XML body the AWS SDKs cannot read; AWS sends JSON with `__type`
    (`AccessDeniedException`). Rewrite such answers."""
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = headers

    chunks = app(environ, capture)
    try:
        payload = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    status = captured.get("status", "500 Internal Server Error")
    headers = captured.get("headers", [])
    if int(status.split(" ", 1)[0]) >= 400 and payload.lstrip().startswith(b"<"):
        text = payload.decode("utf-8", "replace")
        code = _XML_CODE.search(text)
        message = _XML_MESSAGE.search(text)
        error_type = code.group(1) if code else "InternalFailure"
        if error_type == "AccessDenied":
            error_type = "AccessDeniedException"
        payload = json.dumps(
            {"__type": error_type, "message": message.group(1) if message else ""}
        ).encode()
        headers = [
            (k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")
        ]
        headers += [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", error_type),
            ("Content-Length", str(len(payload))),
        ]
    start_response(status, headers)
    return [payload]


def _account_of(access_key):
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


# S3 GET sub-resources (query keys) → operation, in the order S3 checks them.
_S3_SUBRESOURCES = [
    ("encryption", "GetBucketEncryption"),
    ("policy", "GetBucketPolicy"),
    ("versioning", "GetBucketVersioning"),
    ("object-lock", "GetObjectLockConfiguration"),
    ("publicAccessBlock", "GetPublicAccessBlock"),
    ("location", "GetBucketLocation"),
    ("tagging", "GetBucketTagging"),
]


def _operation(environ, service):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    cbor = _CBOR_PATH.match(path)
    if cbor:
        return cbor.group("operation")
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if service == "s3":
        if path.startswith("/v20180820/configuration/publicAccessBlock"):
            return "GetPublicAccessBlock"  # S3 Control, signed as s3
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        if path in ("", "/"):
            return "ListBuckets"
        for key, operation in _S3_SUBRESOURCES:
            if key in query:
                return operation
        return None
    if "Action" in query:
        return query["Action"][0]
    # Query protocol: the action is in the form body. Read it and put it back for moto.
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return None
    body = environ["wsgi.input"].read(length)
    import io

    environ["wsgi.input"] = io.BytesIO(body)
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    if "Action" in form:
        return form["Action"][0]
    return None



# ---------------------------------------------------------------------------------------
# CloudWatch over Smithy RPC v2 CBOR
# ---------------------------------------------------------------------------------------

_CBOR_PATH = re.compile(r"^/service/(?P<target>[^/]+)/operation/(?P<operation>[^/]+)$")
_CBOR_SERVICES = {"GraniteServiceVersion20100801": "cloudwatch"}


def _cbor_text_map(items):
    """CBOR for a map of short text strings (error bodies need nothing more)."""

    def head(major, length):
        if length < 24:
            return bytes([(major << 5) | length])
        if length < 256:
            return bytes([(major << 5) | 24, length])
        return bytes([(major << 5) | 25]) + length.to_bytes(2, "big")

    out = bytearray(head(5, len(items)))
    for key, value in items.items():
        for text in (key, value):
            encoded = text.encode()
            out += head(3, len(encoded)) + encoded
    return bytes(out)


def _resign(environ, body):
    """Sign a translated request again, so that moto's signature check (with --enforce-iam)
    sees a request signed with the caller's own key. Unknown keys are left alone."""
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not found:
        return
    access_key, region, service = found.groups()
    secret = None
    from moto.iam.models import iam_backends

    for account in list(iam_backends.values()):
        key = account["aws"].access_keys.get(access_key)
        if key is not None:
            secret = key.secret_access_key
            break
    if secret is None:
        return
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"http://{environ['HTTP_HOST']}{environ['PATH_INFO']}"
    headers = {
        "Content-Type": environ["CONTENT_TYPE"],
        "X-Amz-Target": environ["HTTP_X_AMZ_TARGET"],
    }
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(access_key, secret), service, region).add_auth(request)
    environ["HTTP_AUTHORIZATION"] = request.headers["Authorization"]
    environ["HTTP_X_AMZ_DATE"] = request.headers["X-Amz-Date"]
    for name in list(environ):
        if name.startswith("HTTP_") and name not in (
            "HTTP_HOST", "HTTP_AUTHORIZATION", "HTTP_X_AMZ_DATE", "HTTP_X_AMZ_TARGET"
        ):
            del environ[name]


class CborBridge:
    """The AWS SDK for Rust speaks Smithy RPC v2 CBOR to CloudWatch; moto only the JSON and
    query protocols. Translate: CBOR request -> JSON request to moto -> JSON response parsed
    against the botocore model -> CBOR response encoded against the same model."""

    def __init__(self, app):
        import botocore.session

        self.app = app
        self.session = botocore.session.get_session()
        self.models = {}

    def __call__(self, environ, start_response):
        found = _CBOR_PATH.match(environ.get("PATH_INFO", ""))
        if not found or found.group("target") not in _CBOR_SERVICES:
            return self.app(environ, start_response)
        return self._bridge(environ, start_response, found.group("target"), found.group("operation"))

    def _model(self, target):
        if target not in self.models:
            self.models[target] = self.session.get_service_model(_CBOR_SERVICES[target])
        return self.models[target]

    def _bridge(self, environ, start_response, target, operation):
        import io

        from botocore.parsers import JSONParser, RpcV2CBORParser
        from botocore.serialize import RpcV2CBORSerializer

        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        params = {}
        if raw:
            params = RpcV2CBORParser().parse_data_item(io.BufferedReader(io.BytesIO(raw)))
        body = json.dumps(params, default=str).encode()
        inner = dict(environ)
        inner["PATH_INFO"] = "/"
        inner["RAW_URI"] = "/"
        inner["REQUEST_URI"] = "/"
        inner["QUERY_STRING"] = ""
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        inner["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        inner["HTTP_X_AMZ_TARGET"] = f"{target}.{operation}"
        _resign(inner, body)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers

        chunks = self.app(inner, capture)
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status = captured.get("status", "500 Internal Server Error")
        code = int(status.split(" ", 1)[0])
        if code >= 400:
            try:
                error = json.loads(payload or b"{}")
            except ValueError:
                error = {}
            if not error and payload.lstrip().startswith(b"<"):
                text = payload.decode("utf-8", "replace")
                code_match = _XML_CODE.search(text)
                message_match = _XML_MESSAGE.search(text)
                error = {
                    "__type": code_match.group(1) if code_match else "InternalFailure",
                    "message": message_match.group(1) if message_match else "",
                }
            error_type = str(error.get("__type", "InternalFailure")).rsplit("#", 1)[-1]
            message = str(error.get("message", error.get("Message", "")))
            out = _cbor_text_map({"__type": error_type, "message": message})
        else:
            shape = self._model(target).operation_model(operation).output_shape
            parsed = JSONParser().parse(
                {"body": payload, "headers": {}, "status_code": 200}, shape
            )
            parsed.pop("ResponseMetadata", None)
            buffer = bytearray()
            RpcV2CBORSerializer()._serialize_data_item(buffer, parsed, shape)
            out = bytes(buffer)
        start_response(
            status,
            [
                ("Content-Type", "application/cbor"),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("Content-Length", str(len(out))),
            ],
        )
        return [out]

# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def _load_seed(path):
    spec = importlib.util.spec_from_file_location("nobastion_seed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", help="Python file with seed(endpoint, args) -> dict")
    parser.add_argument("--seed-arg", action="append", default=[], help="KEY=VALUE for seed")
    parser.add_argument(
        "--fault", action="append", default=[], help="JSON object describing a fault"
    )
    parser.add_argument(
        "--enforce-iam",
        action="store_true",
        help="after seeding, check signatures and IAM policies on every request",
    )
    parser.add_argument(
        "--no-ssm-extras",
        action="store_true",
        help="leave out the SSM operations moto lacks (to test how they fail)",
    )
    args = parser.parse_args()
    if not args.no_ssm_extras:
        install_ssm_extras()
    # One line per request on stderr would drown the test output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    injector = FaultInjector(CborBridge(DomainDispatcherApplication(create_backend_app)))
    server = make_server(
        "127.0.0.1", 0, injector, threaded=True, request_handler=MotoRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_port}"

    seeded = None
    if args.seed:
        seed_args = dict(item.split("=", 1) for item in args.seed_arg)
        # stdout carries only the ready line; anything the seed prints goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            seeded = _load_seed(args.seed).seed(endpoint, seed_args)

    # Faults and IAM enforcement start only now, so that seeding is never affected by them.
    injector.faults = [Fault(json.loads(spec)) for spec in args.fault]
    if args.enforce_iam:
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin

        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0

    sys.stdout.write(json.dumps({"endpoint": endpoint, "seed": seeded}) + "\n")
    sys.stdout.flush()
    # Serve until the parent closes our stdin (or dies).
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
