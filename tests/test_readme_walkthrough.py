"""The README's "Try it with curl" walk-through, read from README.md and run command by command.

Every curl line goes to the app (`$API`, through the test client) or to the fake WeChat (`$WX`),
in order, after `flask dev-setup` as `make run` does it. A `<placeholder>` is filled from an
earlier answer (RESOLVERS says from which; a new placeholder without a resolver fails the test).
A command must answer below 400 unless its `#    -> NNN` note says otherwise, and every
`"key":` its note shows must be in the answer (strings and booleans with their values, unless
elided with "..."). Other lines (making cv.pdf) run in bash in a scratch directory.

The city's clock is frozen at 23:00, inside production's quiet hours: the push of step 7 must
still arrive, as the development config promises.
"""

import io
import json
import re
import shlex
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from app.common import clock
from app.common.identity import parse_id_number
from app.config import Config, DevelopmentConfig
from app.extensions import db
from app.models import Push
from app.services.push.schedule import send_after

README = Path(__file__).resolve().parent.parent / "README.md"
DEMO_PASSWORD = "demo-pass-2026"  # what the README's logins type
CST = timezone(timedelta(hours=8))
PLACEHOLDER = re.compile(r"<([a-z][a-z_ ]*[a-z])(?:,[^<>]*)?>")
# Literal ids the README uses, of rows the demo makes first (so 1 on a fresh database).
LITERAL_ID_TABLES = ("jobs", "stations", "residents")


def walkthrough_block() -> str:
    """Return the first sh block of the README's "Try it with curl" section."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Try it with curl") :]
    return section[section.index("```sh\n") + len("```sh\n") : section.index("\n```", section.index("```sh"))]


def complete(text: str) -> bool:
    """Tell whether a command is complete: no trailing backslash, no open quote."""
    if text.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


def steps(block: str) -> list[dict]:
    """Split the block into commands, each with the indented `#    ` notes right below it."""
    found, pending, notes_open = [], None, False
    for line in block.splitlines():
        if pending is not None:
            pending += "\n" + line
            if complete(pending):
                found.append({"text": pending.replace("\\\n", " "), "notes": []})
                pending, notes_open = None, True
            continue
        stripped = line.strip()
        if not stripped:
            notes_open = False
        elif stripped.startswith("#"):
            if notes_open and line.startswith("#    "):
                found[-1]["notes"].append(line)
            else:
                notes_open = False
        elif complete(line):
            found.append({"text": line, "notes": []})
            notes_open = True
        else:
            pending = line
    assert pending is None, f"unfinished command: {pending}"
    return found


def keys_in(value) -> set:
    """Return every key of every object in a JSON value."""
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_in(v) for v in value))
    return set()


def pairs_in(value) -> set:
    """Return every (key, scalar value) pair of every object in a JSON value."""
    if isinstance(value, dict):
        own = {
            (k, json.dumps(v, ensure_ascii=False)) for k, v in value.items() if not isinstance(v, dict | list)
        }
        return own.union(*(pairs_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(pairs_in(v) for v in value))
    return set()


def check_notes(step: dict, answer: dict) -> None:
    """Assert what the command's note says of its answer: status, keys, string and boolean values."""
    note = "\n".join(line.lstrip("# ") for line in step["notes"])
    documented = note.startswith("->")
    status = re.match(r"->\s*(\d{3})\b", note) if documented else None
    where = f"{step['text']}\n-> {answer['status']} {answer['text'][:600]}"
    if status:
        assert answer["status"] == int(status[1]), where
    else:
        assert answer["status"] < 400, where
    if not documented:
        return
    body = answer["json"]
    for key in re.findall(r'"([A-Za-z_][\w-]*)":', note):
        assert key in keys_in(body), f"README shows {key!r}, the answer has none\n{where}"
    for key, value in re.findall(r'"([A-Za-z_][\w-]*)":\s*("[^"]*"|true|false)', note):
        if "..." in value or "…" in value:
            continue
        assert (key, value) in pairs_in(body), f"README shows {key}: {value}\n{where}"


def first(history: list, method: str, path: str, where=lambda answer: True) -> dict:
    """Return the first answer to `method path` (a regex) that `where` accepts."""
    for answer in history:
        if answer["method"] == method and re.fullmatch(path, answer["path"]) and where(answer):
            return answer
    raise AssertionError(f"no earlier answer to {method} {path}")


def login_of(username):
    """Match a staff login answer of `username`."""
    return lambda answer: (answer["sent"] or {}).get("username") == username


def role_is(role):
    """Match a WeChat login answer of an account with `role`."""
    return lambda answer: answer["json"]["account"]["role"] == role


API = "/api/v1"


def answer_to(history: list, method: str, path: str, where=None, latest=False) -> dict:
    """Return the first (or latest) answer's JSON to `method path` (a regex) that `where` accepts."""
    answers = reversed(history) if latest else history
    return first(list(answers), method, path, where or (lambda answer: True))["json"]


def checklist_household(history: list) -> dict:
    """Return the first household of the latest checklist."""
    return answer_to(history, "GET", f"{API}/grid/checklist", latest=True)["items"][0]["household"]


# Where each placeholder's value comes from, given the answers so far.
RESOLVERS = {
    "code": lambda h: answer_to(h, "POST", "/_fake/codes", latest=True)["code"],
    "phone_code": lambda h: answer_to(h, "POST", "/_fake/codes", latest=True)["phone_code"],
    "openid": lambda h: answer_to(h, "POST", "/_fake/codes", lambda a: not a["sent"])["openid"],
    "resident token": lambda h: answer_to(h, "POST", f"{API}/auth/wechat-login", role_is("resident"))[
        "token"
    ],
    "employer token": lambda h: answer_to(h, "POST", f"{API}/auth/wechat-login", role_is("employer"))[
        "token"
    ],
    "staff token": lambda h: answer_to(h, "POST", f"{API}/auth/login", login_of("demo-grid-worker"))["token"],
    "station staff token": lambda h: answer_to(
        h, "POST", f"{API}/auth/login", login_of("demo-station-staff")
    )["token"],
    "supervisor token": lambda h: answer_to(h, "POST", f"{API}/auth/login", login_of("demo-supervisor"))[
        "token"
    ],
    "resident_id": lambda h: answer_to(h, "PATCH", f"{API}/me", lambda a: "name" in (a["sent"] or {}))["id"],
    "application_id": lambda h: answer_to(h, "GET", f"{API}/applications", latest=True)["items"][0]["id"],
    "qr_url": lambda h: answer_to(h, "POST", rf"{API}/stations/\d+/page-links", latest=True)["qr_url"],
    "check_in_id": lambda h: answer_to(h, "POST", f"{API}/check-ins", latest=True)["id"],
    "household_id": lambda h: checklist_household(h)["id"],
    "member_id": lambda h: checklist_household(h)["members"][0]["id"],
    "now": lambda h: datetime.now(CST).replace(microsecond=0).isoformat(),
}


class Walk:
    """Runs the walk-through's commands against the test client and the fake WeChat."""

    def __init__(self, client, fake_wechat, scratch: Path):
        self.client, self.fake_wechat, self.scratch = client, fake_wechat, scratch
        self.variables: dict[str, str] = {}
        self.history: list[dict] = []

    def fill(self, token: str) -> str:
        """Expand $VARIABLES, then <placeholders> from earlier answers."""
        token = re.sub(r"\$(\w+)", lambda m: self.variables[m[1]], token)

        def resolve(match):
            assert match[1] in RESOLVERS, f"the README has a new placeholder <{match[1]}>: add its resolver"
            return str(RESOLVERS[match[1]](self.history))

        return PLACEHOLDER.sub(resolve, token)

    def run(self, step: dict) -> None:
        """Run one command: an assignment, a curl or a shell line."""
        text = step["text"]
        if re.match(r"[A-Z]+=", text):
            lexer = shlex.shlex(text, posix=True, punctuation_chars=";")
            lexer.whitespace_split = True
            for word in lexer:
                if word != ";":
                    name, _, value = word.partition("=")
                    self.variables[name] = value
        elif text.startswith("curl "):
            answer = self.curl(shlex.split(text, comments=True)[1:])
            self.history.append(answer)
            check_notes(step, answer)
        else:
            subprocess.run(["bash", "-c", text], cwd=self.scratch, check=True, timeout=30)

    def curl(self, words: list[str]) -> dict:
        """Send what one curl command line says and return its answer."""
        method, headers, data, form, out, url = None, {}, None, None, None, None
        words = iter(words)
        for word in words:
            if word in ("-X", "--request"):
                method = next(words)
            elif word in ("-H", "--header"):
                name, _, value = self.fill(next(words)).partition(":")
                headers[name.strip()] = value.strip()
            elif word in ("-d", "--data"):
                data = self.fill(next(words))
            elif word in ("-F", "--form"):
                name, _, value = next(words).partition("=")
                path = self.scratch / value.removeprefix("@")
                form = {name: (io.BytesIO(path.read_bytes()), path.name)}
            elif word in ("-o", "--output"):
                out = self.scratch / next(words)
            elif word.startswith("-"):
                assert word in ("-sS", "-s", "--fail-with-body"), f"the test does not know curl's {word}"
            else:
                url = self.fill(word)
        method = method or ("POST" if data is not None or form is not None else "GET")
        parts = urlsplit(url)
        sent = json.loads(data) if data and headers.get("Content-Type") == "application/json" else None
        if parts.port == 5001:  # the fake WeChat
            response = requests.request(
                method,
                self.fake_wechat.base_url.rstrip("/") + parts.path,
                params=parts.query,
                data=data.encode() if data else None,
                headers=headers,
                timeout=10,
            )
            status, text, body = response.status_code, response.text, response.content
        else:
            response = self.client.open(
                parts.path,
                method=method,
                query_string=parts.query,
                headers=headers,
                data=form if form is not None else data,
            )
            status, body = response.status_code, response.data
            text = body.decode("utf-8", errors="replace")
        if out is not None:
            out.write_bytes(body)
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        return {
            "method": method,
            "path": parts.path,
            "sent": sent,
            "status": status,
            "text": text,
            "json": payload,
        }


@pytest.fixture
def fresh_ids(app, backend):
    """Start the ids the README names literally at 1, as on a fresh database (MariaDB keeps counting)."""
    if backend == "real":
        with db.engine.begin() as connection:
            for table in LITERAL_ID_TABLES:
                connection.execute(sa.text(f"ALTER TABLE {table} AUTO_INCREMENT = 1"))


def test_the_readme_walk_through_works_in_order_and_its_push_arrives_at_night(
    app, client, runner, fake_wechat, fresh_ids, monkeypatch, tmp_path
):
    app.config.update(
        DEMO_ACCOUNTS=True,
        DEMO_PASSWORD=DEMO_PASSWORD,
        PUSH_QUIET_START=DevelopmentConfig.PUSH_QUIET_START,
        PUSH_QUIET_END=DevelopmentConfig.PUSH_QUIET_END,
    )
    setup = runner.invoke(args=["dev-setup"])
    assert setup.exit_code == 0, setup.output
    # The latest 23:00 on the city's clock (not a future one: nothing is due before it happens).
    night = clock.local_now().replace(hour=23, minute=0, second=0, microsecond=0)
    night -= timedelta(days=1) if night > clock.local_now() else timedelta(0)
    monkeypatch.setattr(clock, "local_now", lambda: night)

    walk = Walk(client, fake_wechat, tmp_path)
    commands = steps(walkthrough_block())
    assert len([s for s in commands if s["text"].startswith("curl ")]) >= 35
    for step in commands:
        walk.run(step)

    history = walk.history
    # "id" of the resident's PATCH /me is the applicant's resident_id, as the README says.
    applicant = answer_to(history, "GET", f"{API}/applications", latest=True)["items"][0]["applicant"]
    assert applicant["resident_id"] == RESOLVERS["resident_id"](history)
    # The interview push went at 23:00 and is the one message the resident got.
    openid = RESOLVERS["openid"](history)
    delivered = requests.get(fake_wechat.base_url + "_fake/messages", params={"openid": openid}, timeout=5)
    assert [m["template_id"] for m in delivered.json()["messages"]] == ["tmpl-application-update"]
    # The hire that follows finds the one-time quota used: it goes by SMS to the bound phone (no
    # SMS gateway runs in this test; docs/PUSH.md "Channels").
    wechat = sa.and_(Push.kind == "application_update", Push.channel == "wechat")
    statuses = db.session.scalars(sa.select(Push.status).where(wechat)).all()
    assert statuses == ["sent"]


def test_without_the_development_default_that_push_would_wait_for_morning(app):
    night = datetime(2026, 12, 4, 23, 0, tzinfo=clock.zone())
    production = {"quiet_start": Config.PUSH_QUIET_START, "quiet_end": Config.PUSH_QUIET_END}
    development = {
        "quiet_start": DevelopmentConfig.PUSH_QUIET_START,
        "quiet_end": DevelopmentConfig.PUSH_QUIET_END,
    }
    assert send_after(production, night)[1] is True
    assert send_after(development, night)[1] is False


def test_the_readmes_id_number_one_liner_makes_valid_working_age_numbers():
    text = README.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("python3 -c "))
    code = shlex.split(line)[2]
    numbers = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(3)
    }
    for number in numbers:
        value, birth, _ = parse_id_number(number)
        assert 16 <= (date.today() - birth).days // 365 <= 59, number
    example = re.search(r'"id_number":"(\d{17}[\dX])"', walkthrough_block())[1]
    assert 16 <= (date.today() - parse_id_number(example)[1]).days // 365 <= 59
