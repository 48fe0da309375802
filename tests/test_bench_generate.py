"""The benchmark data generator at mini scale: counts, determinism, places, seekers, personal data."""

import hashlib

import sqlalchemy as sa

from app.common.crypto import decrypt
from app.common.identity import id_check_character
from app.extensions import db, get_redis
from app.models import Account, Community, Household, Job, Resident, Township
from app.services.jobs.search import geo_index
from app.services.people import seekers
from app.services.people.places import place_columns
from bench.generate import SCALES, build

MINI = SCALES["mini"]


def _checksum() -> str:
    """Hash the columns the seed decides (not timestamps, not ciphertexts with their fresh nonces)."""
    digest = hashlib.sha256()
    for statement in (
        sa.select(
            Resident.id,
            Resident.name,
            Resident.id_number_hmac,
            Resident.phone_hint,
            Resident.household_id,
            Resident.community_id,
            Resident.birth_date,
            Resident.employment_status,
            Resident.seek_kinds,
            Resident.home_lat,
        ).order_by(Resident.id),
        sa.select(Household.id, Household.key, Household.lat, Household.lng, Household.community_id).order_by(
            Household.id
        ),
        sa.select(Job.id, Job.title, Job.kind, Job.wage_min, Job.lat, Job.lng, Job.employer_id).order_by(
            Job.id
        ),
    ):
        for row in db.session.execute(statement):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _empty() -> None:
    """Empty every table and the GEO sets, as the app fixture does between tests."""
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(sa.update(Account).values(created_by_id=None))
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
    get_redis().flushdb()


def test_mini_scale_is_consistent_and_readable(app):
    report, manifest = build("mini", seed=3)
    counts = report["counts"]
    assert counts["residents"] == MINI.residents
    assert counts["households"] == MINI.households
    assert counts["employers"] == MINI.employers
    assert counts["jobs"] == MINI.jobs
    assert counts["stations"] == MINI.stations
    assert counts["status_changes"] == MINI.residents

    # Every resident's and household's place columns are those of its community.
    communities = {c.id: c for c in db.session.scalars(sa.select(Community))}
    assert communities and all(c.township.district.short_code == "341002" for c in communities.values())
    for model in (Resident, Household):
        for row in db.session.scalars(sa.select(model)):
            expected = place_columns(communities[row.community_id])
            assert {name: getattr(row, name) for name in expected} == expected
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Resident)
            .join(Household)
            .where(Resident.community_id != Household.community_id)
        )
        == 0
    )

    # About 15% of residents are seekers as the app defines them, and all are in the GEO set.
    seeking = db.session.scalar(
        sa.select(sa.func.count()).select_from(seekers.seekers_select(Resident.id).subquery())
    )
    assert 0.10 * MINI.residents < seeking < 0.20 * MINI.residents
    assert manifest["geo_index"] == {"jobs": MINI.jobs, "seekers": seeking}
    assert get_redis().zcard(seekers.SEEKERS) == seeking
    assert get_redis().zcard(geo_index.JOBS_ALL) == MINI.jobs

    # The app reads the personal data back: a valid ID-card number matching birth date and gender.
    resident = db.session.scalar(sa.select(Resident).where(Resident.phone_enc.is_not(None)).limit(1))
    number = decrypt(resident.id_number_enc, "id_number")
    assert id_check_character(number[:17]) == number[17]
    assert number[6:14] == resident.birth_date.strftime("%Y%m%d")
    assert int(number[16]) % 2 == (resident.gender == "male")
    assert decrypt(resident.phone_enc, "phone")[-4:] == resident.phone_hint[-4:]

    # The dense grid worker of the manifest is assigned the community it names.
    worker = manifest["grid_worker"]
    community = db.session.scalar(sa.select(Community).where(Community.code == worker["community_code"]))
    assert community.households == worker["households"] == MINI.dense_households
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Household).where(Household.community_id == community.id)
        )
        == MINI.dense_households
    )
    assert db.session.get(Township, community.township_id).kind == "subdistrict"


def test_same_seed_same_rows(app):
    build("mini", seed=5)
    first = _checksum()
    _empty()
    build("mini", seed=5)
    assert _checksum() == first
