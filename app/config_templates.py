"""The message templates: each push kind's WeChat subscribe-message template and its approved SMS.

Beside app/config.py (which reads them into Config): what a message says and where it opens is
looked for apart from the settings of the rest of the app, and it is the longest part of them.
"""

from app.env import env_str

# Push (WeChat subscribe messages). Each template: its WeChat id (from the mini-program's
# console), one_time or long_term, the mini-program page it opens (one of app.json's pages,
# which a test checks), and the function building its data.
PUSH_TEMPLATES = {
    "job_match": {
        "template_id": env_str("PUSH_TEMPLATE_JOB_MATCH", "tmpl-job-match"),
        "kind": "one_time",
        "page": "pages/job-detail/index",
        "build": "app.services.push.templates:job_match",
        "sms": env_str("PUSH_SMS_JOB_MATCH", "off"),
    },
    "application_update": {
        "template_id": env_str("PUSH_TEMPLATE_APPLICATION_UPDATE", "tmpl-application-update"),
        "kind": "one_time",
        "page": "pages/job-detail/index",  # ?id= the job; it shows the application
        "build": "app.services.push.templates:application_update",
        "sms": env_str("PUSH_SMS_APPLICATION_UPDATE", "fallback"),
    },
    "checkin_followup": {
        "template_id": env_str("PUSH_TEMPLATE_CHECKIN_FOLLOWUP", "tmpl-checkin-followup"),
        "kind": "one_time",
        "page": "pages/me/index",
        "build": "app.services.push.templates:checkin_followup",
        "sms": env_str("PUSH_SMS_CHECKIN_FOLLOWUP", "fallback"),
    },
    "visit_notice": {
        "template_id": env_str("PUSH_TEMPLATE_VISIT_NOTICE", "tmpl-visit-notice"),
        "kind": "long_term",
        "page": "pages/me/index",
        "build": "app.services.push.templates:visit_notice",
        "sms": env_str("PUSH_SMS_VISIT_NOTICE", "fallback"),
    },
    "policy_notice": {
        "template_id": env_str("PUSH_TEMPLATE_POLICY_NOTICE", "tmpl-policy-notice"),
        "kind": "long_term",
        "page": "pages/policies/index",  # ?match= the match: 我的政策 (docs/POLICIES.md)
        "build": "app.services.push.templates:policy_notice",
        "sms": env_str("PUSH_SMS_POLICY_NOTICE", "fallback"),
    },
    # A record's outcome (a registration accepted, a certification about to expire):
    # services/push/records.py. Long-term: public-service notices may be (WeChat's rules).
    "record_update": {
        "template_id": env_str("PUSH_TEMPLATE_RECORD_UPDATE", "tmpl-record-update"),
        "kind": "long_term",
        "page": "pages/me/index",
        "build": "app.services.push.templates:record_update",
        "sms": env_str("PUSH_SMS_RECORD_UPDATE", "fallback"),
    },
    # A published notice (信息发布) pushed to its audience: services/notices/.
    "notice": {
        "template_id": env_str("PUSH_TEMPLATE_NOTICE", "tmpl-notice"),
        "kind": "long_term",
        "page": "pages/notices/index",  # ?id= the notice
        "build": "app.services.push.templates:notice",
        "sms": env_str("PUSH_SMS_NOTICE", "off"),
    },
    # 稳岗回访: still working there, 90 and 180 days after a placement (services/placements/).
    "placement_followup": {
        "template_id": env_str("PUSH_TEMPLATE_PLACEMENT_FOLLOWUP", "tmpl-placement-followup"),
        "kind": "long_term",
        "page": "pages/placement/index",  # ?id= the follow-up: the one-tap answer
        "build": "app.services.push.templates:placement_followup",
        "sms": env_str("PUSH_SMS_PLACEMENT_FOLLOWUP", "fallback"),
    },
}

# Approved templates per push kind: Alibaba Cloud's template code, Tencent Cloud's template
# id, the variables in order (name -> the push data's field) and the text (for the fake and
# the count of parts; the approved text at the provider must read the same).
SMS_TEMPLATES = {
    "application_update": {
        "aliyun": env_str("SMS_ALIYUN_APPLICATION_UPDATE", "SMS_100000001"),
        "tencent": env_str("SMS_TENCENT_APPLICATION_UPDATE", "2000001"),
        "params": {"job": "thing1", "status": "phrase2"},
        "text": "您应聘的“{job}”{status}，详情请打开黄山3公里就业圈小程序。回TD退订",
    },
    "checkin_followup": {
        "aliyun": env_str("SMS_ALIYUN_CHECKIN_FOLLOWUP", "SMS_100000002"),
        "tencent": env_str("SMS_TENCENT_CHECKIN_FOLLOWUP", "2000002"),
        "params": {"station": "thing1", "note": "thing2"},
        "text": "{station}就您的来访有后续事项：{note}。回TD退订",
    },
    "visit_notice": {
        "aliyun": env_str("SMS_ALIYUN_VISIT_NOTICE", "SMS_100000003"),
        "tencent": env_str("SMS_TENCENT_VISIT_NOTICE", "2000003"),
        "params": {"content": "thing1", "time": "time2"},
        "text": "网格员走访提醒：{content}，时间{time}。回TD退订",
    },
    "policy_notice": {
        "aliyun": env_str("SMS_ALIYUN_POLICY_NOTICE", "SMS_100000004"),
        "tencent": env_str("SMS_TENCENT_POLICY_NOTICE", "2000004"),
        "params": {"title": "thing1", "summary": "thing2"},
        "text": "您可能符合政策“{title}”：{summary}。详情请打开小程序“我的政策”。回TD退订",
    },
    "record_update": {
        "aliyun": env_str("SMS_ALIYUN_RECORD_UPDATE", "SMS_100000005"),
        "tencent": env_str("SMS_TENCENT_RECORD_UPDATE", "2000005"),
        "params": {"subject": "thing1", "result": "phrase2", "note": "thing4"},
        "text": "您的{subject}{result}（{note}）。回TD退订",
    },
    "notice": {
        "aliyun": env_str("SMS_ALIYUN_NOTICE", "SMS_100000006"),
        "tencent": env_str("SMS_TENCENT_NOTICE", "2000006"),
        "params": {"issuer": "thing2", "title": "thing1"},
        "text": "{issuer}发布通知：{title}，详情请打开小程序。回TD退订",
    },
    "placement_followup": {
        "aliyun": env_str("SMS_ALIYUN_PLACEMENT_FOLLOWUP", "SMS_100000007"),
        "tencent": env_str("SMS_TENCENT_PLACEMENT_FOLLOWUP", "2000007"),
        "params": {"employer": "thing1", "stage": "thing2"},
        "text": "{employer}{stage}？请打开小程序一键回答。回TD退订",
    },
}
