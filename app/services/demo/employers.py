"""Demo employers around the six Tunxi circles, verified, each with published jobs."""

from datetime import timedelta

import sqlalchemy as sa

from app.common.credit_code import check_character
from app.common.crypto import encrypt, lookup_hash
from app.common.identity import mask_phone
from app.extensions import db
from app.models import Account, Employer, EmployerStatus, Job, JobStatus, Role, utcnow
from app.services.jobs.posts import monthly
from app.services.people import places

# Employers around the six Tunxi circles: (WeChat openid, name, industry, lat, lng, address, jobs).
# Each job: (title, category, kind, wage_min, wage_max, unit, headcount, skills).
DEMO_EMPLOYERS = (
    (
        "demo-employer-1",
        "黄山演示老街茶庄",
        "tea_processing",
        29.7095,
        118.3050,
        "屯溪区老街演示路8号",
        (
            ("茶叶包装工", "tea_processing", "regular", 3500, 4500, "month", 4, ["包装", "茶叶"]),
            ("茶艺讲解员", "retail", "part_time", 25, 35, "hour", 2, ["普通话", "茶艺"]),
        ),
    ),
    (
        "demo-employer-2",
        "黄山演示徽菜馆",
        "catering",
        29.7170,
        118.3215,
        "屯溪区昱中演示街12号",
        (
            ("后厨帮工", "catering", "regular", 3800, 4800, "month", 3, ["切配"]),
            ("周末传菜员", "catering", "gig", 150, 180, "day", 5, []),
        ),
    ),
    (
        "demo-employer-3",
        "黄山演示快递服务站",
        "logistics_delivery",
        29.7235,
        118.3395,
        "屯溪区昱东演示路3号",
        (
            ("快递分拣员", "logistics_delivery", "regular", 4500, 6000, "month", 6, ["驾驶证C1"]),
            ("社区配送员", "logistics_delivery", "part_time", 20, 28, "hour", 4, ["电动车"]),
        ),
    ),
    (
        "demo-employer-4",
        "黄山演示家政服务公司",
        "housekeeping",
        29.7010,
        118.3310,
        "屯溪区阳湖演示大道66号",
        (
            ("住家保洁员", "housekeeping", "regular", 4000, 5500, "month", 3, ["保洁"]),
            ("养老护理员", "care", "regular", 4500, 6000, "month", 2, ["护理证"]),
        ),
    ),
    (
        "demo-employer-5",
        "黄山演示电子科技厂",
        "manufacturing",
        29.7345,
        118.2700,
        "屯溪区奕棋演示园区2栋",
        (
            ("普工(长白班)", "manufacturing", "regular", 4200, 5200, "month", 20, []),
            ("质检员", "manufacturing", "regular", 4500, 5500, "month", 3, ["质检"]),
        ),
    ),
    (
        "demo-employer-6",
        "黄山演示高新软件公司",
        "it",
        29.7600,
        118.3310,
        "屯溪区新潭演示科技园A座",
        (
            ("Java开发工程师", "it", "regular", 7000, 11000, "month", 2, ["Java", "MySQL"]),
            ("软件测试实习生", "it", "internship", 2500, 3000, "month", 2, ["测试"]),
        ),
    ),
    (
        "demo-employer-7",
        "屯溪区演示社区服务中心",
        "security_cleaning",
        29.7120,
        118.2925,
        "屯溪区昱西演示路20号",
        (
            ("社区保洁(公益性岗位)", "security_cleaning", "public_welfare", 2000, 2200, "month", 4, []),
            ("小区门岗保安", "security_cleaning", "regular", 3000, 3600, "month", 2, ["保安证"]),
        ),
    ),
    (
        "demo-employer-8",
        "黄山演示温泉酒店",
        "tourism_hotel",
        29.7440,
        118.3440,
        "屯溪区屯光演示路1号",
        (
            ("客房服务员", "tourism_hotel", "regular", 3600, 4400, "month", 6, ["客房"]),
            ("前台接待", "tourism_hotel", "regular", 3800, 4600, "month", 2, ["普通话", "英语"]),
        ),
    ),
)


# Headcount bands by employer number (the plan's priority is micro and small firms); others small.
DEMO_EMPLOYER_SIZES = {1: "micro", 2: "micro", 5: "medium", 7: "micro", 8: "large"}


def demo_credit_code(number: int) -> str:
    """Build a valid (fictional) unified social credit code for a demo employer."""
    first17 = f"91341002MA2DK{number:04d}"
    return first17 + check_character(first17)


def demo_employers() -> list[dict]:
    """Create the demo employers (verified) and their published jobs; skip those that exist."""
    now = utcnow()
    created = []
    for number, (openid, name, industry, lat, lng, address, jobs) in enumerate(DEMO_EMPLOYERS, start=1):
        account = db.session.scalar(sa.select(Account).where(Account.openid == openid))
        if account is None:
            account = Account(role=Role.employer.value, openid=openid, display_name=name)
            db.session.add(account)
            db.session.flush()
        employer = db.session.scalar(sa.select(Employer).where(Employer.account_id == account.id))
        phone = f"1390001{number:04d}"
        if employer is None:
            employer = Employer(
                account_id=account.id,
                name=name,
                credit_code=demo_credit_code(number),
                contact_name="演示联系人",
                contact_phone_enc=encrypt(phone, "phone"),
                contact_phone_hmac=lookup_hash(phone, "phone"),
                contact_phone_hint=mask_phone(phone),
                industry=industry,
                size=DEMO_EMPLOYER_SIZES.get(number, "small"),
                address=address,
                lat=lat,
                lng=lng,
                status=EmployerStatus.verified.value,
                decided_at=now,
                decision_reason="demo data",
                **places.locate(lat, lng),
            )
            db.session.add(employer)
            for offset, (title, category, kind, low, high, unit, headcount, skills) in enumerate(jobs):
                db.session.add(
                    Job(
                        employer=employer,
                        title=title,
                        description=f"{name}招聘{title}，就近上岗。(演示数据)",
                        category=category,
                        kind=kind,
                        wage_min=low,
                        wage_max=high,
                        wage_unit=unit,
                        monthly_wage_max=monthly(high, unit),
                        headcount=headcount,
                        address=address,
                        # A few tens of metres apart, so the map shows separate pins.
                        lat=lat + 0.0004 * offset,
                        lng=lng + 0.0004 * offset,
                        skills=skills,
                        status=JobStatus.published.value,
                        valid_until=now + timedelta(days=30),
                        published_at=now,
                        refreshed_at=now,
                        **places.locate(lat, lng),
                    )
                )
        created.append({"openid": openid, "name": name, "jobs": len(jobs)})
    return created
