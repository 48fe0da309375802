"""Uploaded Word files with macros are refused (résumés reach employers and staff), and a
community import with a CSV cell the csv module cannot hold is refused in the error envelope."""

import io
import zipfile

import pytest

from app.common.files import OLE2_MAGIC
from app.errors import ValidationFailed
from app.extensions import db
from app.models import Community, ResumeFile
from app.services.people.place_import import import_communities
from tests.conftest import TEST_COMMUNITIES
from tests.support import count, error_of

FILES = "/api/v1/me/resume/files"
PLAIN_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
MACRO_TYPES = PLAIN_TYPES.replace(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
)


def docx(types: str = PLAIN_TYPES, *extra: str) -> bytes:
    """Build a minimal Word package with the given content types and extra parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name in extra:
            archive.writestr(name, b"\x00VBA")
    return buffer.getvalue()


def upload(client, headers, data: bytes, name: str):
    """Attach a file to the logged-in resident's résumé."""
    return client.post(
        FILES, data={"file": (io.BytesIO(data), name)}, headers=headers, content_type="multipart/form-data"
    )


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (docx(PLAIN_TYPES, "word/vbaProject.bin"), "cv.docx"),
        (docx(MACRO_TYPES), "cv.docx"),
        (docx(MACRO_TYPES, "word/vbaProject.bin", "word/vbaData.xml"), "cv.docm"),
        (OLE2_MAGIC + b"\x00" * 504 + "_VBA_PROJECT\0".encode("utf-16-le") + b"\x00" * 64, "cv.doc"),
    ],
)
def test_word_files_with_macros_are_refused(client, wechat_login, data, name):
    _, headers, _ = wechat_login()
    response = upload(client, headers, data, name)
    assert response.status_code == 415, response.get_json()
    assert (error_of(response)["code"], error_of(response)["field"]) == ("file_has_macros", "file")
    assert count(ResumeFile) == 0


def test_a_plain_docx_is_still_accepted(client, wechat_login):
    _, headers, _ = wechat_login()
    response = upload(client, headers, docx(), "cv.docx")
    assert response.status_code == 201, response.get_json()


def test_a_community_import_with_a_huge_cell_is_refused_naming_the_line(app, places):
    before = count(Community)
    text = TEST_COMMUNITIES.splitlines()[0] + "\n341002002009,新社区,community,341002002000,,,,\n"
    text += "341002002010," + "长" * 131_073 + ",community,341002002000,,,,\n"
    with pytest.raises(ValidationFailed) as refused:
        import_communities(text)
    assert (refused.value.code, refused.value.field) == ("cell_too_long", "file")
    assert "Line 3" in refused.value.message
    db.session.rollback()
    assert count(Community) == before  # the good row before it is not kept
