"""The audit package (审计包): one dossier's stored events, material hashes and a PDF summary in one ZIP
file, signed with the dossier service's published checkpoint key, and its offline check:

    python -m shared.audit_package verify PACKAGE.zip --public-key KEY.pem

Every byte of the file is under the signature. The signed statement (dossier id, event count, head
hash, who exported it and when) carries the SHA-256 of the file up to its end-of-central-directory
comment — every local header, entry, central directory record and the EOCD itself, comment length
included — and the statement and its signature are that comment, in one fixed layout that the check
renders again and compares byte for byte (so the comment has no alternative spelling either). The
file stays an ordinary ZIP that any tool opens. The check also holds every entry against the
manifest, recomputes the hash chain from the event records (shared/contracts/dossier_chain.py, the
very function the dossier service uses), compares it with the signed head hash and count, and
derives the material list from the events again.

Pure: the standard library, ``cryptography`` and ``shared`` only — no network, database or service.
Written by hand rather than with a signing-container format on purpose: the verifier must stay one
short command an inspector can read.
"""
import argparse
import base64
import binascii
import hashlib
import io
import json
import re
import struct
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature

from shared.clock import beijing_text
from shared.contracts.dossier_chain import chain_report
from shared.tokens import key_id, load_public_key

FORMAT = "kunming-dossier-audit-package/1"
# Signed bytes start with the format line: a signed statement can never pass for a checkpoint (whose
# signed bytes are a JSON object) made with the same key, nor a checkpoint for a statement.
SIGNING_CONTEXT = FORMAT.encode("ascii") + b"\n"
EVENTS, MATERIALS, SUMMARY, MANIFEST, README = "events.json", "materials.json", "summary.pdf", "manifest.json", "README.txt"
ENTRY_NAMES = (README, EVENTS, MATERIALS, SUMMARY, MANIFEST)
STATEMENT_FIELDS = ("format", "dossier_id", "events", "head_hash", "manifest_sha256", "zip_sha256", "exported_at",
                    "exported_by")
EXPORTER_FIELDS = ("account_id", "role", "name")
HEX64 = re.compile(r"[0-9a-f]{64}")
KEY_ID_LENGTH = 43  # an RFC 7638 thumbprint: base64url of a SHA-256, unpadded
EOCD_SIGNATURE, EOCD_SIZE = b"PK\x05\x06", 22
COMMENT_LINES = (b"KUNMING-AUDIT-PACKAGE/1", b"key_id: ", b"signature: ", b"statement: ")


# -- what a package holds ---------------------------------------------------------------------------

def event_name(topic):
    """``services.dossier.domain:Dossier.MaterialAttached`` -> ``material_attached``."""
    last = re.split(r"[.:]", str(topic or ""))[-1]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", last).lower()


def materials_from_events(records):
    """Every material ever attached, in order: id, name, category, size, pages, SHA-256, and the versions
    it was attached at and detached at (None while attached). Read from the stored states, so the list
    is the events' own and the check derives it again."""
    found, open_by_id = [], {}
    for record in records:
        kind, state = event_name(record.get("topic")), record.get("state") or {}
        if kind == "material_attached":
            entry = {"material_id": state.get("material_id"), "filename": state.get("filename"),
                     "category": state.get("category"), "size": state.get("size"), "pages": state.get("pages"),
                     "sha256": state.get("sha256"), "attached_version": record.get("version"),
                     "detached_version": None}
            found.append(entry)
            open_by_id[entry["material_id"]] = entry
        elif kind == "material_detached" and state.get("material_id") in open_by_id:
            open_by_id.pop(state["material_id"])["detached_version"] = record.get("version")
    return found


def json_bytes(document):
    """Readable, deterministic JSON for an entry (UTF-8, Chinese as written)."""
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def statement_bytes(statement):
    """The statement as the comment holds it and the signature covers it: sorted keys, ASCII only."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def signed_bytes(statement):
    return SIGNING_CONTEXT + statement_bytes(statement)


def render_comment(key_id_text, signature, statement):
    """The EOCD comment: four lines in a fixed layout (*signature*: the 64 raw bytes, written as hex)."""
    first, key, sig, body = COMMENT_LINES
    return b"\n".join([first, key + key_id_text.encode("ascii"), sig + signature.hex().encode("ascii"),
                       body + statement_bytes(statement)]) + b"\n"


def check_statement(statement):
    """Why *statement* is not a well-formed audit statement, or None (the signer and the check both ask)."""
    if not isinstance(statement, dict) or tuple(sorted(statement)) != tuple(sorted(STATEMENT_FIELDS)):
        return "签名声明的字段不符合审计包格式"
    if statement["format"] != FORMAT:
        return "不是本系统的审计包(格式不符)"
    if not isinstance(statement["events"], int) or isinstance(statement["events"], bool) or statement["events"] < 1:
        return "签名声明中的事件数无效"
    if not all(isinstance(statement[name], str) and HEX64.fullmatch(statement[name])
               for name in ("head_hash", "manifest_sha256", "zip_sha256")):
        return "签名声明中的哈希值格式无效"
    exporter = statement["exported_by"]
    if not isinstance(exporter, dict) or tuple(sorted(exporter)) != tuple(sorted(EXPORTER_FIELDS)) or not all(
            isinstance(value, str) for value in exporter.values()):
        return "签名声明中的导出人信息无效"
    if not isinstance(statement["dossier_id"], str) or not isinstance(statement["exported_at"], str):
        return "签名声明中的申报材料编号或导出时间无效"
    return None


# -- building -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Draft:
    """A package before its signature: the statement to sign and every byte the signature covers."""

    statement: dict
    covered: bytes  # the ZIP up to (not including) its comment; ends with the EOCD naming the comment's length


def _entry(name, date_time):
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _zip(entries, date_time, comment_length):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries:
            archive.writestr(_entry(name, date_time), content)
        archive.comment = b"\0" * comment_length  # stands in for the comment; only its length is kept
    return buffer.getvalue()[:-comment_length]


def draft_package(*, dossier_id, records, summary_pdf, readme, exported_at, exported_by, date_time):
    """A Draft of the package of *records* (the dossier's stored events, plain JSON, in version order).

    *exported_at* is the UTC ISO time, *exported_by* ``{account_id, role, name}``, *date_time* the ZIP
    entries' (Beijing) timestamp tuple."""
    records = list(records)
    materials = materials_from_events(records)
    contents = {README: readme.encode("utf-8"),
                EVENTS: json_bytes({"format": FORMAT, "dossier_id": dossier_id, "records": records}),
                MATERIALS: json_bytes({"format": FORMAT, "dossier_id": dossier_id, "materials": materials}),
                SUMMARY: summary_pdf}
    manifest = json_bytes({"format": FORMAT, "dossier_id": dossier_id, "entries": [
        {"name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        for name, content in contents.items()]})
    last = records[-1]["state"]["hash"] if records else ""
    statement = {"format": FORMAT, "dossier_id": dossier_id, "events": len(records), "head_hash": last,
                 "manifest_sha256": hashlib.sha256(manifest).hexdigest(), "zip_sha256": "0" * 64,
                 "exported_at": exported_at, "exported_by": {name: str(exported_by.get(name) or "")
                                                             for name in EXPORTER_FIELDS}}
    length = len(render_comment("0" * KEY_ID_LENGTH, bytes(64), statement))
    covered = _zip([*contents.items(), (MANIFEST, manifest)], date_time, length)
    return Draft(dict(statement, zip_sha256=hashlib.sha256(covered).hexdigest()), covered)


def seal(draft, key_id_text, signature):
    """The package file: *draft*'s bytes and the comment holding its statement and *signature* (bytes or base64)."""
    if isinstance(signature, str):
        signature = base64.b64decode(signature, validate=True)
    comment = render_comment(key_id_text, signature, draft.statement)
    declared = struct.unpack("<H", draft.covered[-2:])[0]
    if len(comment) != declared or len(key_id_text) != KEY_ID_LENGTH or len(signature) != 64:
        raise ValueError("签名或密钥编号长度与审计包预留的注释长度不符")
    return draft.covered + comment


# -- checking -------------------------------------------------------------------------------------------

class PackageProblem(Exception):
    """The first check a package fails; ``str()`` says which, in Chinese."""


@dataclass(frozen=True)
class Verdict:
    statement: dict
    key_id: str
    materials: int


def _split(data):
    """``(covered bytes, comment)``: the EOCD is the one whose comment runs exactly to the end of the file."""
    for position in range(len(data) - EOCD_SIZE, max(-1, len(data) - EOCD_SIZE - 65536), -1):
        if data[position:position + 4] == EOCD_SIGNATURE:
            length = struct.unpack("<H", data[position + 20:position + 22])[0]
            if position + EOCD_SIZE + length == len(data):
                return data[:position + EOCD_SIZE], data[position + EOCD_SIZE:]
    raise PackageProblem("不是完整的审计包:找不到 ZIP 文件尾(文件被截断或追加了内容)")


def _parse_comment(comment):
    """``(key id, signature bytes, statement)`` from the comment, which must be exactly as rendered."""
    lines = comment.split(b"\n")
    if len(lines) != 5 or lines[4] != b"" or lines[0] != COMMENT_LINES[0] or not all(
            line.startswith(prefix) for line, prefix in zip(lines[1:4], COMMENT_LINES[1:], strict=True)):
        raise PackageProblem("审计包缺少签名声明,或签名声明的格式被改动")
    try:
        kid = lines[1][len(COMMENT_LINES[1]):].decode("ascii")
        signature = binascii.unhexlify(lines[2][len(COMMENT_LINES[2]):])
        statement = json.loads(lines[3][len(COMMENT_LINES[3]):].decode("ascii"))
    except (UnicodeDecodeError, ValueError, binascii.Error):
        raise PackageProblem("审计包的签名声明无法解析(被改动)") from None
    problem = check_statement(statement)
    if problem:
        raise PackageProblem(problem)
    if render_comment(kid, signature, statement) != comment:
        raise PackageProblem("审计包的签名声明与其规范写法不符(被改动)")
    return kid, signature, statement


def _check_signature(kid, signature, statement, public_keys):
    key = public_keys.get(kid)
    if key is None:
        raise PackageProblem(f"审计包由密钥 {kid} 签名,所给公钥({'、'.join(public_keys) or '无'})中没有它")
    try:
        key.verify(signature, signed_bytes(statement))
    except InvalidSignature:
        raise PackageProblem("签名无效:签名声明被改动,或并非由该公钥对应的平台密钥签发") from None


def _entries(covered_and_comment, statement):
    """``{name: bytes}`` of the package's entries, each held against the manifest."""
    try:
        with zipfile.ZipFile(io.BytesIO(covered_and_comment)) as archive:
            names = archive.namelist()
            if sorted(names) != sorted(ENTRY_NAMES):
                raise PackageProblem(f"审计包的文件清单不符:应为 {'、'.join(ENTRY_NAMES)},实为 {'、'.join(names)}")
            contents = {name: archive.read(name) for name in names}
    except PackageProblem:
        raise
    except Exception as error:  # zipfile fails on altered bytes in many ways (CRC, zlib, flags): all are damage
        raise PackageProblem(f"审计包无法按 ZIP 读取(被改动):{error}") from None
    if hashlib.sha256(contents[MANIFEST]).hexdigest() != statement["manifest_sha256"]:
        raise PackageProblem("清单 manifest.json 与签名声明中的摘要不符(被改动)")
    manifest = _json(contents[MANIFEST], MANIFEST)
    listed = {entry.get("name"): entry for entry in manifest.get("entries") or [] if isinstance(entry, dict)}
    if sorted(listed) != sorted(name for name in ENTRY_NAMES if name != MANIFEST):
        raise PackageProblem("清单 manifest.json 所列文件与审计包内文件不符")
    for name, entry in listed.items():
        if hashlib.sha256(contents[name]).hexdigest() != entry.get("sha256") or len(contents[name]) != entry.get("size"):
            raise PackageProblem(f"{name} 的 SHA-256 与清单不符(被改动)")
    return contents


def _json(content, name):
    try:
        document = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PackageProblem(f"{name} 无法解析") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PackageProblem(f"{name} 不是本系统审计包的文件(格式不符)")
    return document


def _check_events(contents, statement):
    """The chain recomputed from the event records must end at the signed head, with the signed count."""
    events = _json(contents[EVENTS], EVENTS)
    records = events.get("records")
    if events.get("dossier_id") != statement["dossier_id"] or not isinstance(records, list) or not all(
            isinstance(record, dict) and record.get("originator_id") == statement["dossier_id"] for record in records):
        raise PackageProblem("事件记录不属于签名声明所述的申报材料")
    report = chain_report((record.get("version"), record.get("topic"), record.get("originator_id"),
                           record.get("class_version"), record.get("state")) for record in records)
    if not report.ok:
        raise PackageProblem(f"事件记录的哈希链校验未通过:{report.reason}")
    if report.count != statement["events"]:
        raise PackageProblem(f"事件记录共 {report.count} 版,签名声明为 {statement['events']} 版")
    if report.hashes.get(report.count) != statement["head_hash"]:
        raise PackageProblem("重新计算的链头哈希与签名声明不符")
    materials = _json(contents[MATERIALS], MATERIALS)
    if materials.get("dossier_id") != statement["dossier_id"] or materials.get("materials") != materials_from_events(records):
        raise PackageProblem("材料清单 materials.json 与事件记录中登记的材料不符")
    return len(materials["materials"])


def verify_package(data, public_keys):
    """The Verdict of package bytes *data* checked with *public_keys* (``{key id: Ed25519PublicKey}``);
    PackageProblem at the first check that fails."""
    covered, comment = _split(data)
    kid, signature, statement = _parse_comment(comment)
    _check_signature(kid, signature, statement, public_keys)
    if hashlib.sha256(covered).hexdigest() != statement["zip_sha256"]:
        _entries(data, statement)  # names the altered entry when it is one; otherwise a header or directory changed
        raise PackageProblem("审计包文件的字节与签名声明中的摘要不符:ZIP 头、条目、目录或文件尾被改动")
    contents = _entries(data, statement)
    try:
        return Verdict(statement, kid, _check_events(contents, statement))
    except (TypeError, KeyError, AttributeError, ValueError):
        raise PackageProblem("事件记录或材料清单的内容无法解析") from None


def _beijing(moment_text):
    """The statement's UTC export time as a person reads it (the statement itself keeps UTC)."""
    try:
        return beijing_text(datetime.fromisoformat(moment_text), "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return str(moment_text)


def summary_line(verdict):
    statement = verdict.statement
    exporter = statement["exported_by"]
    return (f"审计包校验通过:申报材料 {statement['dossier_id']},共 {statement['events']} 版事件,"
            f"链头哈希 {statement['head_hash']},材料 {verdict.materials} 件;"
            f"由 {exporter['name'] or exporter['account_id']}({exporter['role']})于北京时间 {_beijing(statement['exported_at'])} 导出,"
            f"签名密钥 {verdict.key_id}。")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m shared.audit_package", description="离线校验审计包(无需联网)")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="校验审计包的签名、每个字节与哈希链")
    verify.add_argument("package", help="审计包 ZIP 文件")
    verify.add_argument("--public-key", action="append", required=True, metavar="KEY.pem",
                        help="平台公布的审计包签名公钥(PEM);可重复给出(含已停用的密钥)")
    args = parser.parse_args(argv)
    try:
        with open(args.package, "rb") as handle:
            data = handle.read()
        keys = [load_public_key(path) for path in args.public_key]
    except (OSError, ValueError) as error:
        print(f"审计包校验失败:无法读取输入:{error}", file=sys.stderr)
        return 1
    try:
        verdict = verify_package(data, {key_id(key): key for key in keys})
    except PackageProblem as problem:
        print(f"审计包校验失败:{problem}", file=sys.stderr)
        return 1
    print(summary_line(verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
