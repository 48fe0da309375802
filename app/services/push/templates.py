"""Subscribe-message templates: each builds its `data` fields within WeChat's limits.

WeChat refuses a message whose field breaks its type's rule (47003), so every value goes
through the type's function here: `thing` at most 20 characters, `phrase` at most 5 (Chinese
only), `name` at most 10, `character_string` at most 32, `time` as 2026年11月29日 15:01.
"""

from datetime import UTC, datetime
from importlib import import_module

from flask import current_app

from app.common import clock

STATUS_PHRASES = {
    "submitted": "已投递",
    "viewed": "已查看",
    "interview": "邀请面试",
    "hired": "已录用",
    "rejected": "未录用",
    "withdrawn": "已撤回",
}


def thing(value) -> dict:
    """A `thing` field: at most 20 characters, cut with an ellipsis."""
    text = " ".join(str(value or "").split()) or "-"
    return {"value": text if len(text) <= 20 else text[:19] + "…"}


def phrase(value) -> dict:
    """A `phrase` field: at most 5 characters (no room for an ellipsis)."""
    return {"value": (str(value or "").strip() or "-")[:5]}


def name(value) -> dict:
    """A `name` field: at most 10 characters."""
    return {"value": (str(value or "").strip() or "-")[:10]}


def character_string(value) -> dict:
    """A `character_string` field: at most 32 characters."""
    return {"value": str(value or "-")[:32]}


def time(moment: datetime) -> dict:
    """A `time` field, on the city's clock (naive moments are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(clock.zone())
    return {"value": f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"}


def _wage(job) -> str:
    unit = {"month": "月", "day": "天", "hour": "小时"}.get(job.wage_unit, "月")
    if job.wage_min and job.wage_max and job.wage_min != job.wage_max:
        return f"{job.wage_min}-{job.wage_max}元/{unit}"
    if job.wage_max or job.wage_min:
        return f"{job.wage_max or job.wage_min}元/{unit}"
    return "面议"


def job_match(job, distance_m: float | None = None, **_) -> dict:
    """岗位名称, 招聘单位, 薪资待遇, 工作地点 (with the distance)."""
    where = f"距您{distance_m / 1000:.1f}公里" if distance_m is not None else (job.address or "")
    return {
        "thing1": thing(job.title),
        "thing2": thing(job.employer.name if job.employer is not None else ""),
        "thing3": thing(_wage(job)),
        "thing4": thing(where),
    }


def application_update(application, job, status: str, at: datetime, **_) -> dict:
    """岗位名称, 投递状态, 更新时间, 备注."""
    return {
        "thing1": thing(job.title),
        "phrase2": phrase(STATUS_PHRASES.get(status, status)),
        "time3": time(at),
        "thing4": thing(job.employer.name if job.employer is not None else ""),
    }


def checkin_followup(station_name: str, note: str, at: datetime, **_) -> dict:
    """服务站, 跟进事项, 时间."""
    return {"thing1": thing(station_name), "thing2": thing(note), "time3": time(at)}


def visit_notice(content: str, at: datetime, **_) -> dict:
    """走访内容, 时间."""
    return {"thing1": thing(content), "time2": time(at)}


def policy_notice(title: str, summary: str, at: datetime, **_) -> dict:
    """政策名称, 摘要, 发布时间."""
    return {"thing1": thing(title), "thing2": thing(summary), "time3": time(at)}


def record_update(subject: str, result: str, at: datetime, note: str = "", **_) -> dict:
    """事项名称, 办理结果, 办理时间, 备注."""
    return {
        "thing1": thing(subject),
        "phrase2": phrase(result),
        "time3": time(at),
        "thing4": thing(note or "-"),
    }


def notice(title: str, issuer: str, at: datetime, **_) -> dict:
    """通知标题, 发布单位, 发布时间."""
    return {"thing1": thing(title), "thing2": thing(issuer), "time3": time(at)}


def placement_followup(employer_name: str, stage_days: int, started: datetime, **_) -> dict:
    """用人单位, 回访事项, 入职时间."""
    return {
        "thing1": thing(employer_name),
        "thing2": thing(f"入职{stage_days // 30}个月回访：是否仍在岗"),
        "time3": time(started),
    }


def template(key: str) -> dict:
    """Return a template's settings from config, with its builder loaded."""
    settings = current_app.config["PUSH_TEMPLATES"][key]
    module, _, function = settings["build"].partition(":")
    return {**settings, "key": key, "builder": getattr(import_module(module), function)}


def by_template_id(template_id: str) -> str | None:
    """Return the key of the template with this WeChat id, or None."""
    for key, settings in current_app.config["PUSH_TEMPLATES"].items():
        if settings["template_id"] == template_id:
            return key
    return None
