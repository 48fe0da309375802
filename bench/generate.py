"""Deterministic benchmark data: places, households, residents, employers, jobs, stations, grid workers.

`python -m bench.generate --scale mini|tunxi|huangshan|anhui-slice [--seed N]` drops and
recreates the benchmark database, applies the migrations, seeds the city's places, bulk-loads
everything with multi-row INSERTs (SQLAlchemy Core, never the ORM row by row), rebuilds the
Redis GEO sets with the app's own rebuild, adds the staff console's history (a year of ledger
snapshots, a month of check-ins, visits, pushes …: bench/generate_history.py), writes
bench/results/manifest-<scale>.json (what the scenarios need: the dense grid worker, stations,
a downtown point, counts) and prints a JSON line with counts and seconds per table.

Every choice comes from random.Random(seed), so one seed gives the same rows. Two things are
not fixed by the seed: timestamps count from the run's "now" (jobs stay valid for the coming
days, ledger dates count back from today), and ciphertexts of personal data carry fresh nonces
(written by the app's own personal_data.encrypt; their HMACs and masked hints do not change).

Only 屯溪区's townships carry office coordinates in the places file; the others get a centre
drawn around their district's seat, and at city scale each of them a circle of its own, so
every station belongs to a circle as the model requires.
"""

import argparse
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from bench.common import DATABASE_URL, RESULTS_DIR, bench_app

BATCH = 5000
STAFF_PASSWORD = "bench-staff-password"
DOWNTOWN_TOWNSHIP = "341002002000"  # 昱中街道, the middle of 屯溪
TUNXI = "341002"
METRES_PER_DEGREE = 111_320


@dataclass(frozen=True)
class Scale:
    """How much of everything to generate, and over which districts (None: the whole city)."""

    residents: int
    households: int
    employers: int
    jobs: int
    stations: int
    dense_households: int  # the households of the grid worker the checklist scenario uses
    districts: tuple[str, ...] | None


SCALES = {
    "mini": Scale(3_000, 1_000, 50, 200, 3, 150, (TUNXI,)),
    "tunxi": Scale(300_000, 100_000, 5_000, 20_000, 12, 2_000, (TUNXI,)),
    "huangshan": Scale(1_330_000, 450_000, 20_000, 50_000, 120, 2_000, None),
    "anhui-slice": Scale(3_990_000, 1_350_000, 60_000, 150_000, 360, 2_000, None),
}

# Households per township, relative: the town centres are denser than the countryside.
TOWNSHIP_WEIGHT = {"subdistrict": 4.0, "town": 1.5, "township": 0.8, "park": 0.5, "other": 0.5}
# A typical community's households, and how far its centre lies from the township's (metres).
COMMUNITY_SIZE = {"subdistrict": 2000, "town": 700, "township": 450, "park": 600, "other": 600}
COMMUNITY_SPREAD_M = {"subdistrict": 800, "town": 2500, "township": 4000, "park": 2000, "other": 2000}
HOUSEHOLD_SPREAD_M = {"community": 250, "village": 350}
HOUSEHOLD_SIZES = ((1, 15), (2, 25), (3, 30), (4, 18), (5, 8), (6, 4))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹汪方"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉玲鹏飞红梅兰琴云海波斌宇浩晨欣怡婷"
CATEGORY_WEIGHTS = {
    "tourism_hotel": 14,
    "catering": 14,
    "retail": 12,
    "tea_processing": 8,
    "manufacturing": 10,
    "logistics_delivery": 9,
    "construction": 6,
    "housekeeping": 6,
    "security_cleaning": 6,
    "care": 4,
    "education": 3,
    "office": 4,
    "it": 2,
    "other": 2,
}
TITLES = {
    "tourism_hotel": ("酒店前台", "客房服务员", "景区讲解员", "民宿管家"),
    "catering": ("后厨帮工", "服务员", "传菜员", "面点师"),
    "retail": ("导购员", "收银员", "理货员", "店长助理"),
    "tea_processing": ("茶叶分拣工", "炒茶师傅", "茶叶包装工", "茶艺师"),
    "manufacturing": ("普工", "质检员", "机修工", "仓库管理员"),
    "logistics_delivery": ("快递分拣员", "配送员", "货车司机", "仓储专员"),
    "construction": ("木工", "泥瓦工", "电工", "施工员"),
    "housekeeping": ("保洁员", "育婴师", "住家保姆", "钟点工"),
    "security_cleaning": ("保安", "保洁", "物业维修工", "门岗"),
    "care": ("养老护理员", "护工", "康复助理", "社区护理员"),
    "education": ("托管老师", "培训讲师", "助教", "课后辅导老师"),
    "office": ("文员", "出纳", "行政助理", "客服专员"),
    "it": ("网络维护", "前端开发", "运营专员", "数据录入"),
    "other": ("杂工", "临时工", "促销员", "话务员"),
}
SKILLS = ("普通话", "驾驶证C1", "电动车", "健康证", "电脑操作", "英语", "护理证", "电工证", "收银", "茶艺")
KINDS = (("regular", 55), ("part_time", 15), ("gig", 18), ("public_welfare", 5), ("internship", 7))
EDUCATION = ("none", "primary", "junior_high", "senior_high", "associate", "bachelor", "postgraduate")


def _weighted(rng: random.Random, pairs) -> object:
    """Pick from (value, weight) pairs."""
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` into integers that sum to `total` (largest remainder)."""
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _near(rng: random.Random, lat: float, lng: float, sigma_m: float) -> tuple[float, float]:
    """Return a point scattered around (lat, lng), Gaussian with `sigma_m` metres per axis."""
    d_lat = rng.gauss(0, sigma_m) / METRES_PER_DEGREE
    d_lng = rng.gauss(0, sigma_m) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lat + d_lat, 6), round(lng + d_lng, 6)


class Loader:
    """Buffers rows per table and writes them as multi-row INSERTs, parents first, in big transactions."""

    def __init__(self, connection, batch: int = BATCH):
        """Write through `connection`; flush everything when one table holds `batch` rows."""
        from app.extensions import db

        self.connection = connection
        self.batch = batch
        self.order = {table.name: n for n, table in enumerate(db.metadata.sorted_tables)}
        self.tables = {table.name: table for table in db.metadata.sorted_tables}
        self.rows: dict[str, list] = {}
        self.counts: Counter = Counter()
        self.seconds: Counter = Counter()

    def add(self, table: str, row: dict) -> None:
        """Queue one row (every row of a table has the same keys)."""
        rows = self.rows.setdefault(table, [])
        rows.append(row)
        if len(rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Insert what is queued, parent tables first (foreign keys stay checked), and commit."""
        for name in sorted(self.rows, key=self.order.__getitem__):
            rows = self.rows[name]
            if rows:
                started = time.perf_counter()
                self.connection.execute(self.tables[name].insert(), rows)
                self.seconds[name] += time.perf_counter() - started
                self.counts[name] += len(rows)
                rows.clear()
        started = time.perf_counter()
        self.connection.commit()
        self.seconds["commit"] += time.perf_counter() - started


@dataclass
class Place:
    """A community as the generator sees it: ids, centre, how many households it gets."""

    id: int
    code: str
    name: str
    kind: str
    township_kind: str
    lat: float
    lng: float
    households: int
    columns: dict
    address_prefix: str


class Generator:
    """Generates one scale's rows from one seed into the current app's database."""

    def __init__(self, scale_name: str, seed: int, connection):
        """Prepare to write `scale_name`'s data, with `seed`, through `connection`."""
        from app.common.clock import local_day

        self.scale_name = scale_name
        self.scale = SCALES[scale_name]
        self.seed = seed
        self.connection = connection
        self.loader = Loader(connection)
        self.now = datetime.utcnow().replace(microsecond=0)  # noqa: DTZ003  (naive UTC, as stored)
        self.today = local_day()
        self.ids: Counter = Counter()
        self.manifest: dict = {"scale": scale_name, "seed": seed}
        self.phases: dict[str, float] = {}

    def rng(self, stage: str) -> random.Random:
        """Return a generator of its own per stage, so one stage's changes leave the others alone."""
        return random.Random(f"{self.seed}:{stage}")

    def next_id(self, table: str) -> int:
        """Hand out the next primary key of a table (the database starts empty)."""
        self.ids[table] += 1
        return self.ids[table]

    def stamp(self, rng: random.Random, max_days: int = 365) -> datetime:
        """Return a moment up to `max_days` before now (always a day or more back)."""
        return self.now - timedelta(days=1 + rng.random() * max_days)

    def run(self) -> dict:
        """Generate everything; return counts, seconds and the manifest."""
        for phase in (
            self.places,
            self.staff,
            self.stations,
            self.employers,
            self.people,
            self.geo_index,
        ):
            started = time.perf_counter()
            phase()
            self.loader.flush()
            self.phases[phase.__name__] = round(time.perf_counter() - started, 2)
        self.manifest["counts"] = dict(self.loader.counts)
        return {
            "scale": self.scale_name,
            "seed": self.seed,
            "counts": dict(self.loader.counts),
            "insert_seconds": {name: round(s, 2) for name, s in self.loader.seconds.items()},
            "phase_seconds": self.phases,
        }

    # ---- places ---------------------------------------------------------------------------

    def places(self) -> None:
        """Seed the city's places; add communities (and, city-wide, a circle per township)."""
        from app.extensions import db
        from app.models import Circle, District, Township
        from app.services.people.place_import import PLACES_FILE, seed_places

        seed_places()
        db.session.commit()
        rng = self.rng("places")
        offices = {
            t["code"]: t.get("office") for t in json.loads(PLACES_FILE.read_text("utf-8"))["townships"]
        }
        districts = {d.id: d for d in db.session.scalars(sa.select(District))}
        wanted = self.scale.districts
        townships = [
            t
            for t in db.session.scalars(sa.select(Township).order_by(Township.code))
            if wanted is None or districts[t.district_id].short_code in wanted
        ]
        circles = {c.id: c for c in db.session.scalars(sa.select(Circle))}
        if wanted is None:
            self._circle_per_township(townships, districts, circles)
        centres = self._township_centres(rng, townships, districts, offices)
        households = self._households_per_township(townships, districts)
        city_id = next(iter(districts.values())).city_id
        self.communities: list[Place] = []
        dense_township = max(
            (t for t in townships if t.kind == "subdistrict"), key=lambda t: (households[t.id], t.code)
        )
        for township in townships:
            sizes = self._community_sizes(rng, township, households[township.id], township is dense_township)
            lat0, lng0 = centres[township.id]
            district = districts[township.district_id]
            for n, size in enumerate(sizes, start=1):
                kind = "community" if township.kind == "subdistrict" or n == 1 else "village"
                spread = 200 if n == 1 else COMMUNITY_SPREAD_M[township.kind]
                lat, lng = _near(rng, lat0, lng0, spread)
                community_id = self.next_id("communities")
                place = Place(
                    id=community_id,
                    code=f"{township.code[:9]}{n:03d}",
                    name=f"{township.name}{n}{'社区' if kind == 'community' else '村'}",
                    kind=kind,
                    township_kind=township.kind,
                    lat=lat,
                    lng=lng,
                    households=size,
                    columns={
                        "community_id": community_id,
                        "township_id": township.id,
                        "circle_id": township.circle_id,
                        "district_id": district.id,
                        "city_id": city_id,
                    },
                    address_prefix=f"黄山市{district.name}{township.name}",
                )
                self.communities.append(place)
                self.loader.add(
                    "communities",
                    {
                        "id": place.id,
                        "code": place.code,
                        "name": place.name,
                        "kind": kind,
                        "township_id": township.id,
                        "circle_id": township.circle_id,
                        "lat": lat,
                        "lng": lng,
                        "population": None,
                        "households": size,
                        "created_at": self.now,
                        "updated_at": self.now,
                    },
                )
        self.dense = self.communities[
            next(i for i, c in enumerate(self.communities) if c.columns["township_id"] == dense_township.id)
        ]
        downtown = next((t for t in townships if t.code == DOWNTOWN_TOWNSHIP), dense_township)
        self.manifest["downtown"] = {"lat": centres[downtown.id][0], "lng": centres[downtown.id][1]}
        self.manifest["communities"] = len(self.communities)

    def _circle_per_township(self, townships, districts, circles) -> None:
        """Give every township outside the pilot circles a circle of its own (city-wide scales)."""
        from app.extensions import db
        from app.models import Circle

        for township in townships:
            if township.circle_id is None:
                circle = Circle(
                    key=f"t{township.code[6:9]}",
                    name=f"{township.name}就业圈",
                    district_id=township.district_id,
                    note="benchmark: one circle per township",
                )
                db.session.add(circle)
                db.session.flush()
                township.circle_id = circle.id
                circles[circle.id] = circle
        db.session.commit()

    def _township_centres(self, rng, townships, districts, offices) -> dict[int, tuple[float, float]]:
        """Return each township's centre: its office, else a point drawn around its district's seat."""
        centres = {}
        seat_taken: set[int] = set()
        for township in townships:
            office = offices.get(township.code)
            district = districts[township.district_id]
            if office:
                centres[township.id] = (office["lat"], office["lng"])
            elif district.id not in seat_taken and township.kind == "town":
                seat_taken.add(district.id)  # the first town is the county seat
                centres[township.id] = _near(rng, district.lat, district.lng, 300)
            else:
                angle, radius = rng.uniform(0, 2 * math.pi), rng.uniform(6_000, 30_000)
                lat = district.lat + radius * math.sin(angle) / METRES_PER_DEGREE
                lng = district.lng + radius * math.cos(angle) / (
                    METRES_PER_DEGREE * math.cos(math.radians(district.lat))
                )
                centres[township.id] = (round(lat, 6), round(lng, 6))
        return centres

    def _households_per_township(self, townships, districts) -> dict[int, int]:
        """Split the scale's households over townships: by population share and township kind."""
        from app.extensions import db
        from app.models import City

        total = self.scale.households
        by_district: dict[int, list] = {}
        for township in townships:
            by_district.setdefault(township.district_id, []).append(township)
        known = {
            d_id: districts[d_id].population
            for d_id in by_district
            if districts[d_id].population and len(by_district) > 1
        }
        # Districts without a census figure share what is left, by their townships' weights.
        city_population = db.session.scalar(sa.select(City.population))
        known_share = {d_id: population / city_population for d_id, population in known.items()}
        rest = [d_id for d_id in by_district if d_id not in known_share]
        rest_weight = {d_id: sum(TOWNSHIP_WEIGHT[t.kind] for t in by_district[d_id]) for d_id in rest}
        weights = {d_id: share for d_id, share in known_share.items()}
        left = 1 - sum(known_share.values())
        for d_id in rest:
            weights[d_id] = left * rest_weight[d_id] / sum(rest_weight.values())
        district_ids = sorted(by_district)
        result = {}
        for d_id, count in zip(
            district_ids, _allocate(total, [weights[d] for d in district_ids]), strict=True
        ):
            members = by_district[d_id]
            for township, n in zip(
                members, _allocate(count, [TOWNSHIP_WEIGHT[t.kind] for t in members]), strict=True
            ):
                result[township.id] = n
        return result

    def _community_sizes(self, rng, township, households: int, dense: bool) -> list[int]:
        """Split a township's households into communities; the dense one comes first, exactly sized."""
        typical = COMMUNITY_SIZE[township.kind]
        first: list[int] = []
        if dense and households > self.scale.dense_households:
            first, households = [self.scale.dense_households], households - self.scale.dense_households
        count = max(1, round(households / typical))
        return first + _allocate(households, [rng.uniform(0.7, 1.3) for _ in range(count)])

    # ---- staff ----------------------------------------------------------------------------

    def staff(self) -> None:
        """A grid worker per community (with its assignment), and a city admin; one password for all."""
        from app.services.people.accounts import hash_password

        password_hash = hash_password(STAFF_PASSWORD)
        self.staff_hash = password_hash
        self.grid_worker_of: dict[int, int] = {}
        admin = self._staff_account(
            "bench-city-admin", "city_admin", "city", self.communities[0].columns["city_id"]
        )
        for place in self.communities:
            worker = self._staff_account(f"bench-grid-{place.code}", "grid_worker", "community", place.id)
            self.grid_worker_of[place.id] = worker
            self.loader.add(
                "grid_assignments",
                {
                    "account_id": worker,
                    "community_id": place.id,
                    "assigned_by_id": admin,
                    "created_at": self.now,
                },
            )
        self.manifest["staff_password"] = STAFF_PASSWORD
        self.manifest["city_admin"] = {"account_id": admin, "username": "bench-city-admin"}
        self.manifest["grid_worker"] = {
            "account_id": self.grid_worker_of[self.dense.id],
            "username": f"bench-grid-{self.dense.code}",
            "community_code": self.dense.code,
            "households": self.dense.households,
            "lat": self.dense.lat,
            "lng": self.dense.lng,
        }

    def _staff_account(self, username: str, role: str, scope_kind: str, scope_id: int) -> int:
        """Queue a staff account with the shared password; return its id."""
        account_id = self.next_id("accounts")
        self.loader.add(
            "accounts", self._account(account_id, role, username=username, scope=(scope_kind, scope_id))
        )
        return account_id

    def _account(self, account_id: int, role: str, username=None, openid=None, scope=(None, None)) -> dict:
        """Return an accounts row (staff log in with the password, others with WeChat)."""
        return {
            "id": account_id,
            "role": role,
            "display_name": None,
            "username": username,
            "password_hash": self.staff_hash if username else None,
            "openid": openid,
            "unionid": None,
            "session_key_enc": None,
            "scope_kind": scope[0],
            "scope_id": scope[1],
            "is_active": True,
            "failed_logins": 0,
            "locked_until": None,
            "last_login_at": None,
            "created_by_id": None,
            "created_at": self.now,
            "updated_at": self.now,
        }

    # ---- stations -------------------------------------------------------------------------

    def stations(self) -> None:
        """Stations per circle (at least one each while they last), with one staff account each."""
        from app.extensions import db
        from app.models import Circle, District

        rng = self.rng("stations")
        households_in: Counter = Counter()
        first_place: dict[int, Place] = {}
        for place in self.communities:
            circle_id = place.columns["circle_id"]
            households_in[circle_id] += place.households
            first_place.setdefault(circle_id, place)
        circles = {
            c.id: (c, d)
            for c, d in db.session.execute(sa.select(Circle, District).join(District))
            if c.id in households_in
        }
        ordered = sorted(circles, key=lambda i: (-households_in[i], i))
        total = self.scale.stations
        if total <= len(ordered):
            counts = dict.fromkeys(ordered[:total], 1)
        else:
            extra = _allocate(total - len(ordered), [households_in[i] for i in ordered])
            counts = {i: 1 + n for i, n in zip(ordered, extra, strict=True)}
        self.manifest["stations"] = []
        for circle_id, count in counts.items():
            circle, district = circles[circle_id]
            place = first_place[circle_id]
            for n in range(1, count + 1):
                station_id = self.next_id("stations")
                lat, lng = _near(rng, place.lat, place.lng, 600)
                code = f"{district.short_code}-{circle.key}-{n:02d}"
                self.loader.add(
                    "stations",
                    {
                        "id": station_id,
                        "code": code,
                        "name": f"{circle.name}服务站{n}",
                        "circle_id": circle_id,
                        "address": f"{place.address_prefix}{place.name}服务站",
                        "lat": lat,
                        "lng": lng,
                        "hours": "08:30-17:30",
                        "phone": "0559-1234567",
                        "require_location": False,
                        "geofence_m": 500,
                        "qr_version": 1,
                        "qr_rotated_at": None,
                        "is_active": True,
                        "created_by_id": None,
                        "created_at": self.now,
                        "updated_at": self.now,
                        **place.columns,
                    },
                )
                staff = self._staff_account(f"bench-station-{code}", "station_staff", "circle", circle_id)
                self.loader.add(
                    "station_staff", {"station_id": station_id, "account_id": staff, "created_at": self.now}
                )
                self.manifest["stations"].append(
                    {"id": station_id, "code": code, "lat": lat, "lng": lng, "staff_account_id": staff}
                )

    # ---- employers and jobs ---------------------------------------------------------------

    def employers(self) -> None:
        """Verified employers near community centres (more downtown), and their published jobs."""
        from app.common.credit_code import check_character
        from app.common.crypto import encrypt, lookup_hash
        from app.common.identity import mask_phone
        from app.services.jobs.posts import monthly

        rng = self.rng("employers")
        urban = [3.0 if p.township_kind == "subdistrict" else 1.0 for p in self.communities]
        per_place = _allocate(
            self.scale.employers, [p.households * w for p, w in zip(self.communities, urban, strict=True)]
        )
        sizes = (("micro", 55, 1), ("small", 30, 3), ("medium", 10, 8), ("large", 5, 15))
        employers = []
        for place, count in zip(self.communities, per_place, strict=True):
            short_code = place.code[:6]
            for _ in range(count):
                employer_id = self.next_id("employers")
                account_id = self.next_id("accounts")
                self.loader.add(
                    "accounts", self._account(account_id, "employer", openid=f"obench-e{employer_id:09d}")
                )
                industry = _weighted(rng, CATEGORY_WEIGHTS.items())
                size, _, weight = rng.choices(sizes, [s[1] for s in sizes])[0]
                lat, lng = _near(rng, place.lat, place.lng, 400)
                first17 = f"91{short_code}MA{employer_id:07d}"
                industry_word = TITLES[industry][0][:2]
                phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
                decided = self.stamp(rng, 700)
                address = f"{place.address_prefix}{place.name}{rng.randint(1, 200)}号"
                self.loader.add(
                    "employers",
                    {
                        "id": employer_id,
                        "account_id": account_id,
                        "name": f"黄山{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{industry_word}有限公司",
                        "credit_code": first17 + check_character(first17),
                        "legal_representative": self._name(rng),
                        "contact_name": self._name(rng),
                        "contact_phone_enc": encrypt(phone, "phone"),
                        "contact_phone_hmac": lookup_hash(phone, "phone"),
                        "contact_phone_hint": mask_phone(phone),
                        "industry": industry,
                        "size": size,
                        "address": address,
                        "lat": lat,
                        "lng": lng,
                        "licence_file": None,
                        "licence_content_type": None,
                        "licence_uploaded_at": None,
                        "status": "verified",
                        "decision_reason": None,
                        "decided_by_id": None,
                        "decided_at": decided,
                        "created_at": decided - timedelta(days=2),
                        "updated_at": decided,
                        **place.columns,
                    },
                )
                employers.append((employer_id, industry, weight, lat, lng, address, place.columns))
        per_employer = _allocate(self.scale.jobs, [e[2] * rng.uniform(0.5, 1.5) for e in employers])
        for (employer_id, industry, _, lat, lng, address, columns), count in zip(
            employers, per_employer, strict=True
        ):
            for _ in range(count):
                self.loader.add(
                    "jobs", self._job(rng, monthly, employer_id, industry, lat, lng, address, columns)
                )

    def _job(self, rng, monthly, employer_id, industry, lat, lng, address, columns) -> dict:
        """Return a published job at (or near) its employer, valid for the coming days."""
        category = industry if rng.random() < 0.7 else _weighted(rng, CATEGORY_WEIGHTS.items())
        kind = _weighted(rng, KINDS)
        if kind == "part_time":
            unit, low = "hour", rng.randrange(18, 35)
            high = low + rng.randrange(0, 10)
        elif kind == "gig":
            unit, low = "day", rng.randrange(120, 260, 10)
            high = low + rng.randrange(0, 80, 10)
        else:
            unit, low = "month", rng.randrange(2200, 7000, 100)
            high = low + rng.randrange(0, 3000, 100)
        if rng.random() < 0.1:  # some posts say 面议 above a floor only
            high = None
        published = self.now - timedelta(days=rng.random() * 25)
        if rng.random() < 0.2:  # branches and sites away from the office
            lat, lng = _near(rng, lat, lng, 800)
        return {
            "id": self.next_id("jobs"),
            "employer_id": employer_id,
            "client_id": None,
            "title": rng.choice(TITLES[category]),
            "description": "工作稳定，按时发薪，欢迎附近居民应聘。",
            "category": category,
            "kind": kind,
            "wage_min": low,
            "wage_max": high,
            "wage_unit": unit,
            "monthly_wage_max": monthly(high if high is not None else low, unit),
            "headcount": rng.randint(1, 10),
            "address": address,
            "lat": lat,
            "lng": lng,
            "education": rng.choices(EDUCATION[:6], (40, 5, 25, 18, 8, 4))[0],
            "skills": rng.sample(SKILLS, rng.randint(0, 2)),
            "status": "published",
            "valid_until": published + timedelta(days=30),
            "submitted_at": published - timedelta(hours=2),
            "published_at": published,
            "refreshed_at": published,
            "closed_at": None,
            "review_reason": None,
            "reviewed_by_id": None,
            "reviewed_at": published,
            "open_reports": 0,
            "hidden_by_reports": False,
            "created_at": published - timedelta(hours=3),
            "updated_at": published,
            **columns,
        }

    # ---- households and residents ---------------------------------------------------------

    def people(self) -> None:
        """Households around community centres, their members, accounts, seekers and the ledger's rows."""
        rng = self.rng("people")
        sizes = [_weighted(rng, HOUSEHOLD_SIZES) for _ in range(self.scale.households)]
        self._fit_sizes(rng, sizes, self.scale.residents)
        sequence: Counter = Counter()
        size_iter = iter(sizes)
        self.resident_accounts: list[int] = []
        for place in self.communities:
            for n in range(1, place.households + 1):
                self._household(rng, place, n, next(size_iter), sequence)
        # Resident accounts get ids after every staff and employer account: one range.
        self.manifest["resident_account_ids"] = [self.resident_accounts[0], self.resident_accounts[-1]]

    def _fit_sizes(self, rng, sizes: list[int], total: int) -> None:
        """Nudge household sizes (1–8) until they add up to exactly `total` residents."""
        difference = total - sum(sizes)
        while difference:
            i = rng.randrange(len(sizes))
            step = 1 if difference > 0 else -1
            if 1 <= sizes[i] + step <= 8:
                sizes[i] += step
                difference -= step

    def _household(self, rng, place: Place, n: int, size: int, sequence: Counter) -> None:
        """Queue one household, its members and, when the rule says so, its zero-employment case."""
        household_id = self.next_id("households")
        lat, lng = _near(rng, place.lat, place.lng, HOUSEHOLD_SPREAD_M[place.kind])
        building, room = rng.randint(1, 60), rng.randint(1, 6) * 100 + rng.randint(1, 4)
        address = f"{place.address_prefix}{place.name}{building}栋{room}室"
        created = self.stamp(rng, 900)
        head_age = min(95, max(20, int(rng.gauss(52, 15))))
        ages = [head_age]
        for member in range(1, size):
            if member == 1:
                ages.append(max(18, head_age + rng.randint(-5, 5)))
            elif rng.random() < 0.75:
                ages.append(max(0, head_age - rng.randint(22, 36)))
            else:
                ages.append(min(100, head_age + rng.randint(22, 32)))
        people = [
            self._resident(rng, place, household_id, i == 0, age, sequence, created)
            for i, age in enumerate(ages)
        ]
        zero = self._is_zero_employment(people)
        self.loader.add(
            "households",
            {
                "id": household_id,
                "key": f"H{n:06d}",
                "address": address,
                "lat": lat,
                "lng": lng,
                "zero_employment_since": None,
                "created_at": created,
                "updated_at": created,
                **place.columns,
            },
        )
        if zero:
            since = self.today - timedelta(days=rng.randint(1, 400))
            self.loader.rows["households"][-1]["zero_employment_since"] = since
            opened = datetime(since.year, since.month, since.day) - timedelta(hours=8)
            self.loader.add(
                "zero_employment_cases",
                {
                    "id": self.next_id("zero_employment_cases"),
                    "household_id": household_id,
                    "opened_at": opened,
                    "cleared_at": None,
                    "cleared_source": None,
                    "assigned_to_id": self.grid_worker_of[place.id],
                    "created_at": opened,
                    "updated_at": opened,
                    **place.columns,
                },
            )
        for person in people:
            self._queue_resident(rng, place, person, address, lat, lng)

    def _resident(
        self, rng, place: Place, household_id: int, head: bool, age: int, sequence, created
    ) -> dict:
        """Return a resident's ledger fields (status by age) before the personal data is sealed."""
        male = rng.random() < 0.5
        birth = self.today - timedelta(days=age * 365 + rng.randrange(365))
        key = (place.code[:6], birth, male)
        sequence[key] += 1
        serial = 2 * sequence[key] + male  # odd serials are men (GB 11643)
        if age < 16:
            status = "student" if age >= 6 else "not_in_labour_force"
        elif age < 23 and rng.random() < 0.6:
            status = "student"
        elif age < 60:
            status = rng.choices(
                ("employed", "flexible", "unemployed", "unemployed_registered", "not_in_labour_force"),
                (62, 13, 6, 3, 8),
            )[0]
        else:
            status = rng.choices(("retired", "employed", "flexible", "not_in_labour_force"), (70, 10, 5, 15))[
                0
            ]
        return {
            "household_id": household_id,
            "head": head,
            "age": age,
            "male": male,
            "birth": birth,
            "serial": serial,
            "status": status,
            "created": created,
        }

    def _is_zero_employment(self, people: list[dict]) -> bool:
        """The app's rule (services/zero_employment): someone of working age able to work, nobody working."""
        if any(p["status"] in ("employed", "flexible") for p in people):
            return False
        return any(
            p["status"] in ("unemployed", "unemployed_registered") and 16 <= p["age"] <= 59 for p in people
        )

    def _queue_resident(self, rng, place: Place, person: dict, address: str, lat: float, lng: float) -> None:
        """Queue a resident (personal data sealed), a status change, maybe an account, résumé, key groups."""
        from app.common.crypto import encrypt, lookup_hash
        from app.common.identity import id_check_character, mask_id_number, mask_phone

        resident_id = self.next_id("residents")
        first17 = f"{place.code[:6]}{person['birth']:%Y%m%d}{person['serial']:03d}"
        id_number = first17 + id_check_character(first17)
        age, status = person["age"], person["status"]
        phone = (
            f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            if age >= 16 and rng.random() < 0.8
            else None
        )
        account_chance = 0.58 if 18 <= age <= 45 else 0.4 if 46 <= age <= 59 else 0.08 if age >= 60 else 0.0
        account_id = None
        if rng.random() < account_chance:
            account_id = self.next_id("accounts")
            self.loader.add(
                "accounts", self._account(account_id, "resident", openid=f"obench-r{resident_id:09d}")
            )
            if not self.resident_accounts:
                self.resident_accounts.append(account_id)
            self.resident_accounts[1:] = [account_id]
        seeking = False
        if account_id and 18 <= age <= 59:
            chance = {"employed": 0.5, "flexible": 0.7, "unemployed": 0.9, "unemployed_registered": 0.9}
            seeking = rng.random() < chance.get(status, 0.2)
        created = person["created"]
        self.loader.add(
            "residents",
            {
                "id": resident_id,
                "account_id": account_id,
                "name": self._name(rng),
                "id_number_enc": encrypt(id_number, "id_number"),
                "id_number_hmac": lookup_hash(id_number, "id_number"),
                "id_number_hint": mask_id_number(id_number),
                "phone_enc": encrypt(phone, "phone") if phone else None,
                "phone_hmac": lookup_hash(phone, "phone") if phone else None,
                "phone_hint": mask_phone(phone) if phone else None,
                "gender": "male" if person["male"] else "female",
                "birth_date": person["birth"],
                "household_id": person["household_id"],
                "is_household_head": person["head"],
                # Residents with the mini-program have set their home; the ledger alone has no point.
                "home_address": address if account_id else None,
                "home_lat": lat if account_id else None,
                "home_lng": lng if account_id else None,
                "employment_status": status,
                "seek_kinds": self._seek_kinds(rng) if seeking else None,
                "seek_categories": self._seek_categories(rng) if seeking else None,
                "seek_wage_min": rng.choice((None, 2500, 3000, 3500, 4000, 5000)) if seeking else None,
                "seek_radius_m": rng.choices((1000, 3000, 5000, 10000), (5, 60, 25, 10))[0]
                if seeking
                else None,
                "created_at": created,
                "updated_at": created,
                **place.columns,
            },
        )
        self.loader.add(
            "status_changes",
            {
                "id": self.next_id("status_changes"),
                "resident_id": resident_id,
                "from_status": None,
                "to_status": status,
                "source": "province",
                "actor_id": None,
                "note": None,
                "occurred_at": created,
                "created_at": created,
            },
        )
        self._key_groups(rng, place, resident_id, person)
        if seeking or (account_id and 18 <= age <= 59 and rng.random() < 0.1):
            self.loader.add(
                "resumes",
                {
                    "resident_id": resident_id,
                    "education": rng.choices(EDUCATION[1:], (5, 30, 30, 18, 15, 2))[0],
                    "experience": [],
                    "skills": rng.sample(SKILLS, rng.randint(0, 3)),
                    "availability": rng.choice(("immediately", "within_week", "within_month", "later")),
                    "intro": None,
                    "open_to_work": seeking,
                    "created_at": created,
                    "updated_at": created,
                },
            )

    def _key_groups(self, rng, place: Place, resident_id: int, person: dict) -> None:
        """Queue the resident's key groups: registered unemployment follows the status, others by rate."""
        age, status = person["age"], person["status"]
        groups = []
        if status == "unemployed_registered":
            groups.append(("registered_unemployed", "staff", None))
        if 16 <= age <= 59 and status in ("unemployed", "unemployed_registered") and rng.random() < 0.2:
            groups.append(("hard_to_employ", "staff", None))
        if 21 <= age <= 23 and status != "student" and rng.random() < 0.5:
            graduated = date(self.today.year - (age - 22) - (self.today.month < 7), 7, 1)
            groups.append(("college_graduate", "self", graduated.replace(year=graduated.year + 2)))
        if 16 <= age <= 59 and status in ("employed", "flexible") and rng.random() < 0.06:
            groups.append(("migrant_worker", "self", None))
        if person["male"] and 25 <= age <= 59 and rng.random() < 0.02:
            groups.append(("veteran", "self", None))
        if status == "flexible" and rng.random() < 0.4:
            groups.append(("flexible_worker", "self", None))
        for group, source, until in groups:
            since = self.today - timedelta(days=rng.randint(30, 700))
            if until is not None:
                since = until.replace(year=until.year - 2)
            self.loader.add(
                "resident_key_groups",
                {
                    "resident_id": resident_id,
                    "key_group": group,
                    "created_at": person["created"],
                    "since": since,
                    "until": until,
                    "source": source,
                    "verified_by_id": self.grid_worker_of[place.id] if source == "staff" else None,
                },
            )

    def _seek_kinds(self, rng) -> list | None:
        """Wanted job kinds: none named (any) for 40%, else one or two."""
        if rng.random() < 0.4:
            return None
        return sorted({_weighted(rng, KINDS) for _ in range(rng.randint(1, 2))})

    def _seek_categories(self, rng) -> list | None:
        """Wanted categories: none named (any) for 35%, else one to three."""
        if rng.random() < 0.35:
            return None
        return sorted({_weighted(rng, CATEGORY_WEIGHTS.items()) for _ in range(rng.randint(1, 3))})

    def _name(self, rng) -> str:
        """Return a plausible Chinese name."""
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))

    # ---- Redis ----------------------------------------------------------------------------

    def geo_index(self) -> None:
        """Fill the GEO sets of jobs and seekers with the app's own rebuild."""
        from app.extensions import db
        from app.services.jobs.search import geo_index

        self.loader.flush()
        db.session.commit()  # a fresh snapshot: MariaDB's REPEATABLE READ would hide the new rows
        self.manifest["geo_index"] = geo_index.rebuild()


def build(scale_name: str, seed: int = 1) -> tuple[dict, dict]:
    """Generate a scale into the current app's (empty, migrated) database; return (report, manifest)."""
    from app.extensions import db

    with db.engine.connect() as connection:
        generator = Generator(scale_name, seed, connection)
        report = generator.run()
    return report, generator.manifest


def recreate_database(url: str) -> None:
    """Drop and create the benchmark database (utf8mb4, as the app's CI creates its own)."""
    address = sa.engine.make_url(url)
    server = sa.create_engine(address.set(database=""))
    with server.begin() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{address.database}`")
        connection.exec_driver_sql(
            f"CREATE DATABASE `{address.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    server.dispose()


def main(argv: list[str] | None = None) -> dict:
    """Generate one scale into the benchmark database and Redis db; print and return the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="tunxi")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    recreate_database(DATABASE_URL)
    app = bench_app()
    with app.app_context():
        from flask_migrate import upgrade

        from app.extensions import get_redis

        upgrade()
        get_redis().flushdb()
        migrated = time.perf_counter() - started
        report, manifest = build(args.scale, args.seed)
        # The staff console's history (snapshots, check-ins, visits, pushes …) on top.
        from bench import generate_history

        history = generate_history.build(args.scale, args.seed, manifest)
        report["history_counts"] = history["counts"]
        report["phase_seconds"]["history"] = history["seconds"]
    report["phase_seconds"] = {"migrate": round(migrated, 2), **report["phase_seconds"]}
    report["seconds"] = round(time.perf_counter() - started, 2)
    manifest["generated_seconds"] = report["seconds"]
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"manifest-{args.scale}.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return report


if __name__ == "__main__":
    main()
