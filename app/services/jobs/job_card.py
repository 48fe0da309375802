"""The job card (分享岗位): a PNG poster of a published job with a QR code that opens it in WeChat.

The card is drawn once per job version: its bytes are cached in Redis under a key holding a hash
of everything drawn on it (the version, also the ETag), so a poster shared in a group costs one
drawing. Chinese text needs a CJK font (JOB_CARD_FONT, else one of Debian's packages); with none
installed the card is refused (503 card_font_missing) rather than drawn as boxes.
"""

import hashlib
import io
import json
import logging
import os
from collections.abc import Callable

import redis
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from app.errors import APIError, NotFound
from app.extensions import db, get_redis
from app.models import District, Job, Township, is_searchable

log = logging.getLogger(__name__)

# Debian's CJK fonts, best first: fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei.
DEBIAN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
APP_NAME = "三公里就业圈"
CAPTION = "微信扫一扫 查看岗位"
WIDTH, HEIGHT = 750, 1000
# Bumped when the layout changes, so every cached card and ETag is drawn anew.
LAYOUT_VERSION = 1
CACHE_SECONDS = 7 * 24 * 3600
KIND_LABELS = {
    "regular": "全职",
    "part_time": "兼职",
    "gig": "零工",
    "public_welfare": "公益性岗位",
    "internship": "就业见习",
}
UNIT_LABELS = {"month": "元/月", "day": "元/天", "hour": "元/小时"}
GREEN, INK, GREY, ORANGE, PALE = "#07c160", "#1f2329", "#646a73", "#f56c2d", "#e8f7ee"


def font_path() -> str:
    """Return the CJK font to draw with: JOB_CARD_FONT, else the first Debian font installed; or 503."""
    configured = current_app.config.get("JOB_CARD_FONT")
    for path in (configured,) if configured else DEBIAN_FONTS:
        if os.path.isfile(path):
            return path
    where = f"JOB_CARD_FONT ({configured}) is not a file" if configured else "no CJK font is installed"
    raise APIError(
        503,
        "card_font_missing",
        f"The job card cannot be drawn: {where}. Install fonts-wqy-microhei "
        "(apt-get install fonts-wqy-microhei) or set JOB_CARD_FONT to a CJK font file.",
    )


def job_url(job_id: int) -> str:
    """Return the link the card's QR code encodes: WeChat opens the job in the mini-program."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/j/{job_id}"


def published_job(job_id: int) -> Job:
    """Return a published job (its card is public), or 404 as for a job nobody may see."""
    job = db.session.scalar(sa.select(Job).options(joinedload(Job.employer)).where(Job.id == job_id))
    if job is None or not is_searchable(job):
        raise NotFound("job_not_found", f"No job {job_id}.")
    return job


def wage_text(job: Job) -> str:
    """Return the wage as the card shows it: 4000-6000 元/月, 150 元/天, or 面议 (to be agreed)."""
    unit = UNIT_LABELS.get(job.wage_unit, "")
    low, high = job.wage_min, job.wage_max
    if low is None and high is None:
        return "薪资面议"
    if low is None or high is None or low == high:
        return f"{low if low is not None else high} {unit}"
    return f"{low}-{high} {unit}"


def _place_text(job: Job) -> str:
    """Return where the job is: its district and township, then its address."""
    names = []
    if job.district_id is not None:
        names.append(db.session.scalar(sa.select(District.name).where(District.id == job.district_id)))
    if job.township_id is not None:
        names.append(db.session.scalar(sa.select(Township.name).where(Township.id == job.township_id)))
    place = " ".join(name for name in names if name)
    return f"{place} · {job.address}" if place and job.address else place or job.address or ""


def card_lines(job: Job) -> dict:
    """Return the texts the card shows (what a test checks the font can draw)."""
    return {
        "app": APP_NAME,
        "title": job.title,
        "employer": job.employer.name,
        "wage": wage_text(job),
        "kind": KIND_LABELS.get(job.kind, job.kind),
        "headcount": f"招 {job.headcount} 人",
        "place": _place_text(job),
        "caption": CAPTION,
        "url": job_url(job.id),
    }


def card_version(job: Job, lines: dict | None = None) -> str:
    """Return the card's version: a hash of everything drawn on it (and the layout and font)."""
    lines = lines or card_lines(job)
    material = json.dumps([LAYOUT_VERSION, font_path(), lines], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _cache_key(job_id: int, version: str) -> str:
    return f"jobcard:{job_id}:{version}"


def card_png(job: Job, version: str, lines: dict) -> bytes:
    """Return the card's PNG: from the cache when drawn before, else drawn now and cached."""
    key = _cache_key(job.id, version)
    try:
        cached = get_redis().get(key)
    except redis.RedisError as error:  # no cache: draw it (a card costs ~60 ms)
        log.warning("job card cache unavailable: %s", error)
        cached = None
    if cached is not None:
        return cached
    image = render(lines)
    try:
        get_redis().set(key, image, ex=CACHE_SECONDS)
    except redis.RedisError as error:
        log.warning("job card not cached: %s", error)
    return image


def card_for(job_id: int) -> tuple[str, Callable[[], bytes]]:
    """Return a published job's card version (its ETag) and a function giving its PNG bytes.

    The version is known without drawing, so a 304 answers If-None-Match at the cost of a query.
    """
    job = published_job(job_id)
    lines = card_lines(job)
    version = card_version(job, lines)
    return version, lambda: card_png(job, version, lines)


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Break text into lines no wider than `width` (by character: Chinese has no spaces)."""
    lines, current = [], ""
    for char in text:
        if draw.textlength(current + char, font=font) > width and current:
            lines.append(current)
            current = char
            if len(lines) == max_lines:
                break
        else:
            current += char
    else:
        if current:
            lines.append(current)
        return lines
    # Cut: the last line ends with an ellipsis within the width.
    last = lines[-1]
    while last and draw.textlength(last + "…", font=font) > width:
        last = last[:-1]
    lines[-1] = last + "…"
    return lines


def qr_image(data: str, size: int):
    """Return a QR code of `data` centred on a white square of `size` pixels, each module whole pixels."""
    import qrcode  # here, not at the top: qrcode and Pillow load only when a card is drawn
    from PIL import Image

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    code.box_size = max(1, size // (code.modules_count + 2 * code.border))
    drawn = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    square = Image.new("RGB", (size, size), "white")
    square.paste(drawn, ((size - drawn.width) // 2, (size - drawn.height) // 2))
    return square


def render(lines: dict) -> bytes:
    """Draw the card: the app's name, the job, its wage, kind and place, and the QR code."""
    from PIL import Image, ImageDraw, ImageFont

    path = font_path()
    font = lambda size: ImageFont.truetype(path, size)  # noqa: E731 (one font file, many sizes)
    card = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(card)
    margin, inner = 56, WIDTH - 2 * 56
    draw.rectangle((0, 0, WIDTH, 120), fill=GREEN)
    draw.text((margin, 60), lines["app"], font=font(40), fill="white", anchor="lm")
    draw.text((WIDTH - margin, 60), "分享岗位", font=font(28), fill="white", anchor="rm")
    y = 150
    for line in _wrap(draw, lines["title"], font(48), inner, 2):
        draw.text((margin, y), line, font=font(48), fill=INK)
        y += 62
    y += 10
    draw.text((margin, y), lines["wage"], font=font(42), fill=ORANGE)
    y += 64
    tag = f"{lines['kind']}  ·  {lines['headcount']}"
    tag_width = draw.textlength(tag, font=font(28))
    draw.rounded_rectangle((margin, y, margin + tag_width + 32, y + 48), radius=10, fill=PALE)
    draw.text((margin + 16, y + 24), tag, font=font(28), fill=GREEN, anchor="lm")
    y += 68
    for line in _wrap(draw, lines["employer"], font(30), inner, 2):
        draw.text((margin, y), line, font=font(30), fill=INK)
        y += 42
    for line in _wrap(draw, lines["place"], font(26), inner, 2):
        draw.text((margin, y), line, font=font(26), fill=GREY)
        y += 38
    # The QR code's place is fixed (the texts above end by y = 570 at most).
    qr_size = 260
    qr_top = HEIGHT - qr_size - 90
    draw.line((margin, qr_top - 30, WIDTH - margin, qr_top - 30), fill="#dee0e3", width=2)
    card.paste(qr_image(lines["url"], qr_size), ((WIDTH - qr_size) // 2, qr_top))
    draw.text((WIDTH // 2, qr_top + qr_size + 45), lines["caption"], font=font(30), fill=INK, anchor="mm")
    buffer = io.BytesIO()
    # zlib's default level: optimize=True made the card 3% smaller at five times the cost (135 ms).
    card.save(buffer, format="PNG")
    return buffer.getvalue()
