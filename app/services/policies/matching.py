"""Policies find people (政策找人): evaluate subjects × published versions and record who qualifies.

One code path serves the incremental run (a few residents whose facts changed, task
`policies.rematch_people`) and the batch (the whole ledger, `policies.match_version` when a
version is published or withdrawn, `policies.match_all` daily): subjects go in id-ordered
chunks; each chunk's facts are gathered in bulk (ledger_facts.person_facts), and each version's rule is
evaluated once per distinct tuple of the values of the facts it reads (rules.check names them),
so a city's residents cost a few thousand evaluations, not millions. Rows are written in bulk.

For each subject and version in force:
- qualifies, no match yet: a match is inserted (qualified), with the amount the benefit gives,
  the trace and the facts the rule read, the claim deadline, placed where the subject lives;
  a lapsed match qualifying again is made qualified again (it is not pushed a second time);
- a qualified match that no longer qualifies, or whose version is no longer in force: lapsed;
- a claimed match is never touched (its claim goes on).
A match still qualifying keeps the trace it was matched with: it says why it was offered.

Each chunk's new matches of residents are then pushed (match_pushes.py); the prefilter is
candidates.py, the resident's own view my_policies.py.

Long because the one path of the batch and the incremental run keeps its bulk writes beside it.
"""

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from app.common.clock import local_day
from app.common.upsert import insert_ignoring_duplicates
from app.errors import Conflict
from app.extensions import db
from app.models import PLACE_COLUMN_NAMES, Employer, Resident, utcnow
from app.models.policies import PolicyVersion, PolicyVersionStatus
from app.models.policy_matches import MatchStatus, PolicyMatch
from app.services.policies import benefits, candidates, catalogue, ledger_facts, match_pushes, rules

# Subjects per chunk of the batch: one facts gathering, one read of their matches, a few writes.
CHUNK = 5000
# Rows per multi-row INSERT statement (SQLite's bound-parameter limit), and per executemany.
INSERT_ROWS = 400
INSERT_BATCH = 2000
SUBJECTS = {"person": ("r", Resident, "resident_id"), "employer": ("e", Employer, "employer_id")}


def subject_key(subject: str, subject_id: int) -> str:
    """Return a match's subject key: "r<resident id>" or "e<employer id>"."""
    return f"{SUBJECTS[subject][0]}{subject_id}"


def _frozen(value):
    """Return a hashable form of a fact's value (lists and dicts as tuples) for the memo's key."""
    if isinstance(value, list | tuple | set):
        return tuple(_frozen(item) for item in (sorted(value, key=str) if isinstance(value, set) else value))
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    return value


def place_codes(subject_facts: dict) -> tuple[str, ...]:
    """Return the subject's administrative codes, largest place first (what applies_to compares)."""
    return tuple(
        subject_facts[name]
        for name in ("district_code", "township_code", "community_code")
        if subject_facts.get(name)
    )


class _Run:
    """One matching run: the versions weighed, the memo of evaluations, the counts."""

    def __init__(self, subject: str, versions: list[PolicyVersion], today: date, all_versions: bool):
        self.subject, self.today, self.all_versions = subject, today, all_versions
        self.versions = versions
        self.version_ids = {version.id for version in versions}
        # Per version: the facts its rule reads, and its evaluations by their values.
        self.reads = {version.id: rules.check(version.rule) for version in versions}
        self.memo: dict[int, dict] = {version.id: {} for version in versions}
        # Only what the rules and benefits read is gathered (person facts skip the other queries).
        self.needs = set().union(
            *self.reads.values(), *(benefits.reads(version.benefit) for version in versions)
        )
        self.places: dict[tuple, bool] = {}
        self.counts = {
            "subjects": 0,
            "evaluations": 0,
            "qualified": 0,
            "inserted": 0,
            "requalified": 0,
            "lapsed": 0,
            "pushes": 0,
        }

    def applies(self, version: PolicyVersion, codes: tuple[str, ...]) -> bool:
        """Tell (memoised by place) whether the version applies where the subject is."""
        key = (version.id, codes)
        if key not in self.places:
            self.places[key] = catalogue.applies_to(version, list(codes))
        return self.places[key]

    def evaluate(self, version: PolicyVersion, subject_facts: dict):
        """Evaluate the version's rule over the facts it reads, once per distinct set of their values."""
        names = self.reads[version.id]
        read = {name: subject_facts.get(name) for name in names}
        key = tuple(_frozen(read[name]) for name in names)
        memo = self.memo[version.id]
        found = memo.get(key)
        if found is None:
            found = memo[key] = (rules.evaluate(version.rule, read, version.hints or None), read)
            self.counts["evaluations"] += 1
        return found

    def chunk(self, ids: list[int]) -> list[int]:
        """Match one chunk of subjects against the run's versions; write in bulk, commit; return the ids."""
        if not ids:
            return []
        prefix, model, id_column = SUBJECTS[self.subject]
        if self.subject == "person":
            subject_facts = ledger_facts.person_facts(ids, self.today, only=self.needs)
        else:
            subject_facts = ledger_facts.employer_facts(ids, self.today)
        column = getattr(PolicyMatch, id_column)
        existing_query = sa.select(
            PolicyMatch.id, column.label("subject_id"), PolicyMatch.policy_version_id, PolicyMatch.status
        ).where(column.in_(ids))
        if not self.all_versions:
            existing_query = existing_query.where(PolicyMatch.policy_version_id.in_(self.version_ids))
        existing = {
            (row.subject_id, row.policy_version_id): row for row in db.session.execute(existing_query)
        }
        now = utcnow()
        inserts, requalify, lapse = [], [], []
        for subject_id in ids:
            found = subject_facts.get(subject_id)
            if found is None:
                continue
            self.counts["subjects"] += 1
            codes = place_codes(found)
            for version in self.versions:
                row = existing.get((subject_id, version.id))
                if row is not None and row.status == MatchStatus.claimed:
                    continue
                qualified = False
                if self.applies(version, codes):
                    evaluation, read = self.evaluate(version, found)
                    qualified = evaluation.qualified
                if not qualified:
                    if row is not None and row.status == MatchStatus.qualified:
                        lapse.append(row.id)
                    continue
                self.counts["qualified"] += 1
                if row is not None and row.status == MatchStatus.qualified:
                    continue  # still qualifies: keeps the trace it was matched with
                values = {
                    "status": MatchStatus.qualified.value,
                    "amount_fen": benefits.amount_fen(version.benefit, found),
                    "trace": evaluation.trace,
                    "facts": read,
                    "matched_at": now,
                    "claim_deadline": catalogue.claim_deadline(version, self.today),
                    "lapsed_at": None,
                    "updated_at": now,
                }
                if row is not None:  # lapsed before, qualifies again
                    requalify.append({"b_id": row.id, **values})
                    continue
                inserts.append(
                    {
                        "subject_key": f"{prefix}{subject_id}",
                        "resident_id": subject_id if self.subject == "person" else None,
                        "employer_id": subject_id if self.subject == "employer" else None,
                        "policy_id": version.policy_id,
                        "policy_version_id": version.id,
                        "created_at": now,
                        **values,
                    }
                )
        # Versions no longer in force (an incremental run weighs them all): their qualified matches lapse.
        if self.all_versions:
            lapse.extend(
                row.id
                for (_, version_id), row in existing.items()
                if version_id not in self.version_ids and row.status == MatchStatus.qualified
            )
        if inserts:  # placed where the subject is: the working list is one equality per place
            subject_ids = sorted({row[id_column] for row in inserts})
            places = {
                row.id: {name: getattr(row, name) for name in PLACE_COLUMN_NAMES}
                for row in db.session.execute(
                    sa.select(model.id, *(getattr(model, name) for name in PLACE_COLUMN_NAMES)).where(
                        model.id.in_(subject_ids)
                    )
                )
            }
            for row in inserts:
                row.update(places.get(row[id_column], {}))
        self._write(inserts, requalify, lapse, now)
        return ids

    def _write(self, inserts: list[dict], requalify: list[dict], lapse: list[int], now: datetime) -> None:
        """Write a chunk's decisions in bulk and commit."""
        self.counts["inserted"] += _insert_matches(inserts)
        if requalify:
            table = PolicyMatch.__table__
            db.session.execute(
                table.update()
                .where(table.c.id == sa.bindparam("b_id"), table.c.status == MatchStatus.lapsed.value)
                .values({name: sa.bindparam(name) for name in requalify[0] if name != "b_id"}),
                requalify,
            )
            self.counts["requalified"] += len(requalify)
        for start in range(0, len(lapse), ledger_facts.CHUNK):
            self.counts["lapsed"] += _lapse(
                PolicyMatch.id.in_(lapse[start : start + ledger_facts.CHUNK]), now
            )
        db.session.commit()


# The matches table as written by the batch: the trace and the facts bound as the JSON text made
# once per memoised evaluation (thousands of identical traces are not serialised again row by row).
_MATCH_ROWS = sa.table(
    "policy_matches",
    *(
        sa.column(column.name, sa.Text() if column.name in ("trace", "facts") else column.type)
        for column in PolicyMatch.__table__.columns
        if column.name != "id"
    ),
)
# How each backend says "leave a row whose unique key exists" in an executemany.
_IGNORE = {"mysql": "IGNORE", "mariadb": "IGNORE", "sqlite": "OR IGNORE"}


def _insert_matches(rows: list[dict]) -> int:
    """Insert new matches (ignoring any a concurrent run wrote first); return how many were written."""
    if not rows:
        return 0
    prefix = _IGNORE.get(db.session.get_bind().dialect.name)
    if prefix is None:  # another backend: the generic multi-row INSERT … ON CONFLICT DO NOTHING
        return sum(
            insert_ignoring_duplicates(db.session, PolicyMatch, rows[start : start + INSERT_ROWS])
            for start in range(0, len(rows), INSERT_ROWS)
        )
    texts: dict[int, str] = {}

    def text(value) -> str:
        # Keyed by identity: a memoised evaluation's trace and facts are shared by every row it decided.
        if id(value) not in texts:
            texts[id(value)] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return texts[id(value)]

    prepared = [{**row, "trace": text(row["trace"]), "facts": text(row["facts"])} for row in rows]
    written = 0
    for start in range(0, len(prepared), INSERT_BATCH):
        # One executemany: the driver sends multi-row INSERTs without SQLAlchemy compiling each.
        result = db.session.execute(
            sa.insert(_MATCH_ROWS).prefix_with(prefix), prepared[start : start + INSERT_BATCH]
        )
        written += result.rowcount if result.rowcount >= 0 else len(prepared[start : start + INSERT_BATCH])
    return written


def _lapse(where, now: datetime | None = None) -> int:
    """Mark the qualified matches `where` says lapsed (claimed ones stay); return how many. No commit."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(PolicyMatch)
        .where(where, PolicyMatch.status == MatchStatus.qualified.value)
        .values(status=MatchStatus.lapsed.value, lapsed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _ledger(subject: str) -> Iterator[list[int]]:
    """Yield every subject's id in id order, chunk by chunk (keyset paging: no OFFSET scans)."""
    model = SUBJECTS[subject][1]
    last = 0
    while True:
        ids = list(
            db.session.scalars(sa.select(model.id).where(model.id > last).order_by(model.id).limit(CHUNK))
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _candidates(versions: list[PolicyVersion], today: date) -> Iterator[list[int]]:
    """Yield, in id-ordered chunks, whom the batch evaluates: who could qualify, who holds a match."""
    ids = candidates.resident_ids(versions, today)
    if ids is None:
        yield from _ledger("person")
        return
    ids.update(
        db.session.scalars(
            sa.select(PolicyMatch.resident_id).where(
                PolicyMatch.policy_version_id.in_([v.id for v in versions]),
                PolicyMatch.status == MatchStatus.qualified.value,
                PolicyMatch.resident_id.is_not(None),
            )
        )
    )
    yield from _chunks(ids)


def _run(subject: str, chunks: Iterable[list[int]], versions, today: date, all_versions: bool) -> dict:
    """Match chunks of subjects against `versions`; push new person matches chunk by chunk."""
    run = _Run(subject, versions, today, all_versions)
    for ids in chunks:
        if not versions:  # nothing in force (most days of a status change): no facts to gather
            column = getattr(PolicyMatch, SUBJECTS[subject][2])
            run.counts["lapsed"] += _lapse(column.in_(ids))
            db.session.commit()
            continue
        run.chunk(ids)
        if subject == "person":
            run.counts["pushes"] += match_pushes.push_new_matches(ids, today)
    return run.counts


def match_residents(resident_ids: list[int], today: date | None = None) -> dict:
    """Re-match these residents against every person policy in force (after their facts changed)."""
    today = today or local_day()
    versions = catalogue.published_versions("person", today)
    return _run("person", _chunks(resident_ids), versions, today, all_versions=True)


def match_employers(employer_ids: list[int], today: date | None = None) -> dict:
    """Re-match these employers against every employer policy in force."""
    today = today or local_day()
    versions = catalogue.published_versions("employer", today)
    return _run("employer", _chunks(employer_ids), versions, today, all_versions=True)


def match_version(version_id: int, today: date | None = None) -> dict:
    """Match one version over the whole ledger (published), or lapse its matches (withdrawn, superseded).

    The policy's other versions no longer in force lapse too: publishing version 2 ends what
    version 1 offered (matches already claimed go on).
    """
    today = today or local_day()
    version = db.session.get(PolicyVersion, version_id)
    if version is None:
        return {"lapsed": 0}
    subject = version.policy.subject
    in_force = {
        v.id for v in catalogue.published_versions(subject, today) if v.policy_id == version.policy_id
    }
    lapsed = _lapse(
        sa.and_(
            PolicyMatch.policy_id == version.policy_id,
            PolicyMatch.policy_version_id.not_in(sorted(in_force) or [0]),
        )
    )
    db.session.commit()
    if version.id not in in_force:
        return {"version_id": version_id, "in_force": False, "lapsed": lapsed}
    chunks = _candidates([version], today) if subject == "person" else _ledger(subject)
    counts = _run(subject, chunks, [version], today, all_versions=False)
    counts["lapsed"] += lapsed
    return {"version_id": version_id, "in_force": True, **counts}


def match_all(today: date | None = None) -> dict:
    """Match every policy in force over the whole ledger (daily: ages and day counts move with the date)."""
    today = today or local_day()
    result = {}
    for subject in SUBJECTS:
        versions = catalogue.published_versions(subject, today)
        ended = _lapse(
            sa.and_(
                PolicyMatch.resident_id.is_not(None)
                if subject == "person"
                else PolicyMatch.employer_id.is_not(None),
                PolicyMatch.policy_version_id.not_in([v.id for v in versions] or [0]),
            )
        )
        db.session.commit()
        chunks = _candidates(versions, today) if subject == "person" else _ledger(subject)
        counts = _run(subject, chunks, versions, today, all_versions=False) if versions else {}
        result[subject] = {**counts, "lapsed": counts.get("lapsed", 0) + ended}
    return result


# ---- for claims -------------------------------------------------------------------------------


def current_match(subject_key: str, policy_id: int) -> PolicyMatch | None:
    """Return the subject's qualified match of the policy's version in force, if any."""
    today = local_day()
    match = db.session.scalar(
        sa.select(PolicyMatch)
        .join(PolicyVersion, PolicyVersion.id == PolicyMatch.policy_version_id)
        .where(
            PolicyMatch.subject_key == subject_key,
            PolicyMatch.policy_id == policy_id,
            PolicyMatch.status == MatchStatus.qualified.value,
            PolicyVersion.status == PolicyVersionStatus.published.value,
        )
        .order_by(PolicyMatch.id.desc())
        .limit(1)
    )
    if match is None or not catalogue.in_force(db.session.get(PolicyVersion, match.policy_version_id), today):
        return None
    return match


def mark_claimed(match: PolicyMatch) -> None:
    """Mark a qualified match claimed (a claim was made from it); Conflict if it no longer qualifies."""
    result = db.session.execute(
        sa.update(PolicyMatch)
        .where(PolicyMatch.id == match.id, PolicyMatch.status == MatchStatus.qualified.value)
        .values(status=MatchStatus.claimed.value, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("match_not_qualified", "This match no longer qualifies (lapsed or claimed already).")
    set_committed_value(match, "status", MatchStatus.claimed.value)  # as written, no second UPDATE
