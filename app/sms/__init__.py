"""Everything that talks to an SMS provider: one sender interface, an adapter per provider, the fake gateway.

Beside app.wechat: services call `sms.send(...)` and get an `SmsResult` saying what became of the
message; the provider (SMS_PROVIDER: fake, aliyun or tencent) is chosen by configuration.
"""
