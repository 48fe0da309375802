"""Push: WeChat subscribe messages to the people who agreed to them, never twice, never at night.

templates (each template's fields within WeChat's limits), subscriptions (quotas, preferences,
who may receive a kind), schedule (quiet hours), fan_out (making pushes: a new job's fan-out, an
application's news; enqueueing their sends), send (one push: claim, quota, rate, WeChat),
batch_send (about a hundred pushes in one job, by send's rules: the fan-out's way), history
(what staff follow). Channels beyond WeChat (SMS) plug in beside send.py.

May import: the jobs wing (matching, search) and the people wing, models, app.common, app.wechat,
app.queues, app.extensions, app.errors. Other wings reach push only through tasks enqueued by
name ("push.match_and_push", "push.notify_application").
"""
