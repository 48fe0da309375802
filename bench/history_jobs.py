"""The jobs side of the console's history: expired and closed posts, reports, applications, pushes.

A part of bench.generate_history's History (its volumes and assumptions are described there).
"""

from datetime import timedelta

import sqlalchemy as sa

from bench.history_work import DAYS, pick, utc

APPLICATION_DAYS = 60
PER_MONTH = {"pushes": 150_000, "applications": 30_000}
PUSH_KINDS = {"job_match": 80, "application_update": 14, "checkin_followup": 4, "policy_notice": 2}
PUSH_STATUSES = {"sent": 78, "skipped": 17, "failed": 5}
SKIPS = {"no_quota": 70, "opted_out": 12, "daily_cap": 10, "job_not_live": 8}
BATCH_IDS = 5000
APPLICATION_STATUSES = {
    "submitted": 32,
    "viewed": 25,
    "interview": 15,
    "hired": 8,
    "rejected": 17,
    "withdrawn": 3,
}


class JobsHistory:
    """Jobs, reports, applications and pushes (a part of History)."""

    # ---- jobs, applications, pushes -------------------------------------------------------

    def jobs(self) -> None:
        """Expired (15 %) and closed (5 %) jobs beside the published ones; reports, most of them open."""
        rng = self.rng("jobs")
        j = self.tables["jobs"]
        published = (
            self.connection.execute(sa.select(j.c.id).where(j.c.status == "published").order_by(j.c.id))
            .scalars()
            .all()
        )
        copies = rng.sample(published, round(len(published) * 0.2))
        for start in range(0, len(copies), BATCH_IDS):
            rows = self.connection.execute(sa.select(j).where(j.c.id.in_(copies[start : start + BATCH_IDS])))
            for row in rows:
                values = dict(row._mapping)
                when = self.now - timedelta(days=rng.uniform(32, 90))
                values.update(
                    id=self.next_id("jobs"),
                    client_id=None,
                    status="expired" if rng.random() < 0.75 else "closed",
                    published_at=when,
                    refreshed_at=when,
                    reviewed_at=when,
                    submitted_at=when - timedelta(hours=2),
                    created_at=when - timedelta(hours=3),
                    valid_until=when + timedelta(days=30),
                    open_reports=0,
                    hidden_by_reports=False,
                )
                values["closed_at"] = (
                    when + timedelta(days=rng.uniform(1, 25)) if values["status"] == "closed" else None
                )
                values["updated_at"] = values["closed_at"] or values["valid_until"]
                self.loader.add("jobs", values)
        self.loader.flush()
        self.job_ids = published
        accounts = list(self.account_place)
        reported = rng.sample(published, max(1, round(len(published) * 0.009)))
        still_open = reported[: len(reported) * 2 // 3]
        for job_id in reported:
            at = self.now - timedelta(days=rng.uniform(0.5, 20))
            self.loader.add(
                "job_reports",
                {
                    "id": self.next_id("job_reports"),
                    "job_id": job_id,
                    "account_id": rng.choice(accounts),
                    "reason": "岗位信息与实际不符",
                    "created_at": at,
                    "cleared_at": None if job_id in still_open else at + timedelta(days=1),
                },
            )
        self.loader.flush()
        for start in range(0, len(still_open), BATCH_IDS):
            self.connection.execute(
                sa.update(j).where(j.c.id.in_(still_open[start : start + BATCH_IDS])).values(open_reports=1)
            )

    def applications(self) -> None:
        """Applications of the last APPLICATION_DAYS days by seekers, by status."""
        rng = self.rng("applications")
        j, resumes = self.tables["jobs"].c, self.tables["resumes"].c
        seekers = (
            self.connection.execute(
                sa.select(resumes.resident_id).where(resumes.open_to_work).order_by(resumes.resident_id)
            )
            .scalars()
            .all()
        )
        jobs = self.connection.execute(
            sa.select(j.id, j.employer_id, j.published_at)
            .where(j.status.in_(["published", "expired", "closed"]))
            .order_by(j.id)
        ).all()
        if not seekers or not jobs:
            self.application_ids = []
            return
        seen = set()
        self.application_ids = []
        for _ in range(self.scaled(PER_MONTH["applications"], APPLICATION_DAYS / 30)):
            job, resident_id = rng.choice(jobs), rng.choice(seekers)
            if (job.id, resident_id) in seen:
                continue
            seen.add((job.id, resident_id))
            created = max(job.published_at, self.now - timedelta(days=rng.uniform(0.1, APPLICATION_DAYS)))
            created = min(created, self.now - timedelta(minutes=30))
            status = pick(rng, APPLICATION_STATUSES)
            changed = (
                created
                if status == "submitted"
                else min(self.now, created + timedelta(days=rng.uniform(0.1, 10)))
            )
            application_id = self.next_id("applications")
            self.application_ids.append(application_id)
            self.loader.add(
                "applications",
                {
                    "id": application_id,
                    "job_id": job.id,
                    "resident_id": resident_id,
                    "employer_id": job.employer_id,
                    "status": status,
                    "message": None,
                    "status_changed_at": changed,
                    "created_at": created,
                    "updated_at": changed,
                },
            )

    def pushes(self) -> None:
        """Pushes of the last DAYS days (to yesterday) by template and status."""
        rng = self.rng("pushes")
        accounts = list(self.account_place)
        if not accounts:
            return
        check_ins = self.first_id.get("check_ins"), self.next_ids.get("check_ins", 1) - 1
        seen = set()
        for _ in range(self.scaled(PER_MONTH["pushes"], DAYS / 30)):
            account_id, kind = rng.choice(accounts), pick(rng, PUSH_KINDS)
            if kind == "job_match":
                subject = ("job", rng.choice(self.job_ids))
            elif kind == "application_update" and self.application_ids:
                subject = ("application", rng.choice(self.application_ids))
            elif kind == "checkin_followup" and check_ins[0]:
                subject = ("check_in", rng.randint(*check_ins))
            else:
                kind, subject = "policy_notice", ("policy", rng.randint(1, 12))
            key = (account_id, kind, *subject)
            if key in seen:
                continue
            seen.add(key)
            self.loader.add("pushes", self._push(rng, account_id, kind, subject))

    def _push(self, rng, account_id: int, kind: str, subject: tuple) -> dict:
        """Return one push with the status a send left it in."""
        day = self.today - timedelta(days=rng.randint(1, DAYS))
        created = utc(day, rng.uniform(7 * 60, 21 * 60))
        status = pick(rng, PUSH_STATUSES)
        called = created + timedelta(seconds=rng.uniform(1, 120)) if status != "skipped" else None
        error = None
        if status == "skipped":
            error = pick(rng, SKIPS)
        elif status == "failed":
            error = pick(
                rng,
                {
                    "43101 user refuse to accept the msg": 60,
                    "47003 argument invalid": 10,
                    "retries_exhausted": 30,
                },
            )
        return {
            "id": self.next_id("pushes"),
            "account_id": account_id,
            "kind": kind,
            "object_type": subject[0],
            "object_id": str(subject[1]),
            "status": status,
            "score": round(rng.random(), 3) if kind == "job_match" else None,
            "data": {"thing1": {"value": "黄山就业服务"}},
            "page": "pages/me/index",
            "day": day,
            "send_after": created,
            "attempts": 0 if status == "skipped" else 1,
            "claimed_at": called,
            "called_at": called,
            "last_error": error,
            "msgid": f"bench{rng.randrange(10**12)}" if status == "sent" else None,
            "created_at": created,
            "sent_at": called if status == "sent" else None,
            **self.places[self.account_place[account_id]],
        }
