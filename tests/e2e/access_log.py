"""Reads delivered server access-log objects the way an Amazon user's tooling reads them.

Every line is matched with the regular expression of Amazon's Athena table for S3 server access
logs (reference/s3-access-logging.md section 8, the "effective regex"), requiring all 26 fields to
be present; a 27th field (the newer source region) is read from what the regex's trailing `.*`
swallows. The quotes around Request-URI, Referer and User-Agent are removed and Logbucket's
reversible escaping (logging/access_log_line.h) is undone, so each field holds the bytes the
record held. The key field is left as logged (URL-encoded); decode it with urllib.parse.unquote.
"""
import datetime
import re
import urllib.parse
from dataclasses import dataclass, field

ATHENA_REGEX = re.compile(
    r'([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) '
    r'([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$')

FIELDS = (
    "bucket_owner", "bucket", "time", "remote_ip", "requester", "request_id", "operation", "key",
    "request_uri", "http_status", "error_code", "bytes_sent", "object_size", "total_time",
    "turn_around_time", "referer", "user_agent", "version_id", "host_id", "signature_version",
    "cipher_suite", "auth_type", "host_header", "tls_version", "access_point_arn", "acl_required",
)

TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
# Bytes that break a line's structure, per field kind (logging/access_log_line.h).
_CONTROL = {chr(c) for c in range(0x20)} | {"\x7f"}
_ESCAPE_SETS = {
    "bare": _CONTROL | {" ", '"'},
    "quoted": _CONTROL | {'"', "\\"},
    "referer": _CONTROL | {'"', "\\", " "},
}
_UPPER_HEX = re.compile(r"[0-9A-F]{2}")
_QUOTED_FIELDS = {"request_uri", "referer", "user_agent"}


class AccessLogFormatError(AssertionError):
    pass


@dataclass
class Record:
    line: str
    values: dict                 # field name -> unescaped text, without quotes/brackets
    quoted: dict                 # field name -> True when the field was written in quotes
    source_region: str = None    # the 27th field when present
    extra_fields: list = field(default_factory=list)  # anything after the 27th

    def __getattr__(self, name):
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def time_utc(self):
        return datetime.datetime.strptime(self.values["time"], TIME_FORMAT)

    @property
    def decoded_key(self):
        """The key field with one level of URL-encoding removed ('-' stays '-')."""
        return self.values["key"] if self.values["key"] == "-" else \
            urllib.parse.unquote(self.values["key"], errors="surrogateescape")


def _kind(name):
    if name in ("request_uri", "user_agent"):
        return "quoted"
    if name == "referer":
        return "referer"
    return "bare"


def unescape(name, text):
    """Undoes Logbucket's escaping of field `name`: "%XX" (upper-case hex) stands for byte XX when
    XX is '%' or a byte of the field's escape set; any other '%' is literal. The key is returned
    unchanged."""
    if name == "key":
        return text
    escape_set = _ESCAPE_SETS[_kind(name)]
    out = []
    i = 0
    while i < len(text):
        if text[i] == "%" and _UPPER_HEX.fullmatch(text[i + 1:i + 3]):
            ch = chr(int(text[i + 1:i + 3], 16))
            if ch == "%" or ch in escape_set:
                out.append(ch)
                i += 3
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def parse_line(line):
    """One line -> Record. Raises AccessLogFormatError when the Athena regex does not match with
    every one of the 26 fields in its own group."""
    match = ATHENA_REGEX.fullmatch(line)
    if not match or match.group(26) is None:
        raise AccessLogFormatError(f"line does not match Amazon's Athena regex: {line!r}")
    values, quoted = {}, {}
    for index, name in enumerate(FIELDS, start=1):
        text = match.group(index)
        is_quoted = len(text) >= 2 and text.startswith('"') and text.endswith('"')
        if name in _QUOTED_FIELDS and is_quoted:
            text = text[1:-1]
        elif is_quoted:
            raise AccessLogFormatError(f"field {name} must not be quoted: {line!r}")
        quoted[name] = is_quoted
        values[name] = unescape(name, text)
    tail = line[match.end(26):]
    record = Record(line=line, values=values, quoted=quoted)
    if tail:
        if not tail.startswith(" "):
            raise AccessLogFormatError(f"unexpected text after field 26: {line!r}")
        extra = tail[1:].split(" ")
        record.source_region = extra[0]
        record.extra_fields = extra[1:]
    return record


def parse_log_object(body):
    """The bytes of one delivered log object -> list of Records. Lines end with '\\n'; no line
    may be empty. Non-UTF-8 bytes are kept as surrogate escapes."""
    text = body.decode("utf-8", errors="surrogateescape")
    if not text:
        raise AccessLogFormatError("empty log object")
    if not text.endswith("\n"):
        raise AccessLogFormatError(f"log object does not end with a newline: {text[-80:]!r}")
    return [parse_line(line) for line in text[:-1].split("\n")]


# Amazon's key encoding in the log: every byte except A-Z a-z 0-9 - _ . ~ '/' as %XX.
def log_key_encode(text):
    return urllib.parse.quote(text, safe="/")


def wire_key(key):
    """The key as botocore puts it in the request path (percent_encode with safe '/~')."""
    return urllib.parse.quote(key, safe="/~")


def rest_logged_key(key):
    """The key field of a REST.* record: the still-encoded wire key, encoded once more."""
    return log_key_encode(wire_key(key))


SIMPLE_KEY = re.compile(r"(?P<prefix>.*?)(?P<ts>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-"
                        r"(?P<unique>[0-9A-F]{16})")
PARTITIONED_KEY = re.compile(
    r"(?P<prefix>.*?)(?P<account>\d{12})/(?P<region>[a-z0-9-]+)/(?P<bucket>[^/]+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<ts>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-"
    r"(?P<unique>[0-9A-F]{16})")
