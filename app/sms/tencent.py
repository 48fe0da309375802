"""Tencent Cloud SMS (sms 2021-01-11) through its official SDK: one SendSms, its answer mapped.

The SDK is imported here only, when an SMS goes this way. Credentials come from the environment
(TENCENTCLOUD_SECRET_ID / _KEY, SMS_SDK_APP_ID, read into the config); the endpoint is
SMS_API_BASE when set (the fake gateway), else sms.tencentcloudapi.com over HTTPS.
"""

import re

from flask import current_app

from app.sms import SmsResult

DEFAULT_HOST = "sms.tencentcloudapi.com"
# A read that timed out or a connection dropped mid-answer: the request went out, the SMS may be sent.
UNSURE = re.compile(r"read timed out|ReadTimeout|Connection aborted|RemoteDisconnected", re.IGNORECASE)
# Error codes (of the request or of the number's status) worth trying again later.
RETRY_PREFIXES = ("LimitExceeded.", "RequestLimitExceeded", "InternalError", "ResourceUnavailable")
# A per-number limit of a day or more: retrying within the send's backoff would not help.
FINAL_LIMITS = frozenset(
    {"LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.DailyLimit", "LimitExceeded.AppDailyLimit"}
)


def _outcome(code: str) -> str:
    """Return RETRY or REFUSED for a Tencent Cloud error code."""
    if code not in FINAL_LIMITS and code.startswith(RETRY_PREFIXES):
        return SmsResult.RETRY
    return SmsResult.REFUSED


def send(phone: str, template: dict, params: dict, out_id: str, endpoint) -> SmsResult:
    """Send one SMS through SendSms and say what became of it."""
    from tencentcloud.common import credential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import models, sms_client

    config = current_app.config
    host, scheme = endpoint(DEFAULT_HOST)
    http = HttpProfile(endpoint=host, protocol=scheme, reqTimeout=int(max(1, config["SMS_TIMEOUT_SECONDS"])))
    client = sms_client.SmsClient(
        credential.Credential(config["TENCENTCLOUD_SECRET_ID"], config["TENCENTCLOUD_SECRET_KEY"]),
        config["SMS_TENCENT_REGION"],
        ClientProfile(httpProfile=http),
    )
    request = models.SendSmsRequest()
    request.PhoneNumberSet = [f"+86{phone}"]
    request.SmsSdkAppId = config["SMS_SDK_APP_ID"]
    request.SignName = config["SMS_SIGN_NAME"]
    request.TemplateId = template["tencent"]
    request.TemplateParamSet = list(params.values())
    request.SessionContext = out_id
    try:
        answer = client.SendSms(request)
    except TencentCloudSDKException as exc:
        code = exc.get_code() or ""
        if code == "ClientNetworkError":
            # Its message holds the request's text (the phone): read here only, never kept.
            if UNSURE.search(str(exc.get_message())):
                return SmsResult(SmsResult.UNKNOWN, error="timeout: outcome unknown, not resent")
            return SmsResult(SmsResult.RETRY, error="network: ClientNetworkError")
        if code == "ServerNetworkError":  # an HTTP error status: the provider accepted nothing
            return SmsResult(SmsResult.RETRY, error=code)
        return SmsResult(_outcome(code), error=f"{code} {exc.get_message() or ''}".strip())
    statuses = answer.SendStatusSet or []
    if len(statuses) != 1:
        return SmsResult(SmsResult.UNKNOWN, error="unusable answer from Tencent Cloud: outcome unknown")
    status = statuses[0]
    if status.Code == "Ok" and status.SerialNo:
        return SmsResult(SmsResult.SENT, msgid=status.SerialNo)
    return SmsResult(_outcome(status.Code or ""), error=f"{status.Code} {status.Message or ''}".strip())
