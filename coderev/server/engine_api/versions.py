"""The API versions this engine serves, how a request names one, and what a deprecated one adds.

A request names its version by its path (``/v1/status``) or by the ``Coderev-Api-Version``
header (``/status`` with ``Coderev-Api-Version: 1``); when it does both they must agree. An
unknown version is refused with ``SYS007``. Every response names the version it was served in.
A version whose status is ``deprecated`` is still served, and each response to it carries
``Deprecation`` (RFC 9745: ``@`` and the Unix time it was deprecated), ``Sunset`` (RFC 8594: the
HTTP date after which it may stop answering) and a ``Link`` to its successor; the server logs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Final, Literal

from coderev.analyzers.errors import CoderevError
from coderev.server.engine_api.responses import ApiError

HEADER: Final = "Coderev-Api-Version"
Status = Literal["current", "supported", "deprecated"]
_VERSIONED = re.compile(r"/v([0-9]{1,4})(/.*)?")


@dataclass(frozen=True)
class ApiVersion:
    """One entry of the version table."""

    name: str
    status: Status = "current"
    deprecated_since: datetime | None = None  # required when deprecated (RFC 9745 needs a date)
    sunset: datetime | None = None
    successor: str | None = None

    def __post_init__(self) -> None:
        if self.status == "deprecated" and self.deprecated_since is None:
            raise ValueError(f"API version {self.name} is deprecated without a date")

    def headers(self) -> dict[str, str]:
        """The response headers this version adds (its name; the deprecation fields when deprecated)."""
        out = {HEADER: self.name}
        if self.status != "deprecated" or self.deprecated_since is None:
            return out
        out["Deprecation"] = f"@{int(self.deprecated_since.timestamp())}"
        if self.sunset is not None:
            out["Sunset"] = format_datetime(self.sunset.astimezone(UTC), usegmt=True)
        if self.successor is not None:
            out["Link"] = f'</v{self.successor}/openapi.json>; rel="successor-version"'
        return out


CURRENT: Final = "1"
VERSIONS: Final[Mapping[str, ApiVersion]] = {"1": ApiVersion("1")}


def negotiate(path: str, header: str | None, versions: Mapping[str, ApiVersion]) -> tuple[ApiVersion, str]:
    """The version a request asks for and its path within that version (``/v1/status`` -> ``/status``)."""
    match = _VERSIONED.fullmatch(path)
    named = match.group(1) if match else None
    inner = (match.group(2) or "/") if match else path
    asked = header.strip() if header is not None else None
    if named is not None and asked is not None and asked != named:
        raise ApiError(CoderevError("SYS007", f"the path names API version {named} and the {HEADER} header "
                                              f"{asked!r}"), 400)
    wanted = named or asked
    if wanted is None:
        raise ApiError(CoderevError("SYS011", f"no such path {path!r}: the API lives under /v{CURRENT}/ "
                                              f"(or send {HEADER})"), 404)
    version = versions.get(wanted)
    if version is None:
        served = ", ".join(sorted(versions))
        raise ApiError(CoderevError("SYS007", f"API version {wanted!r} is not served here (served: {served})"),
                       404 if named is not None else 400)
    return version, inner


def deprecation_date(version: ApiVersion) -> str:
    """How the log and the client name a deprecated version's dates."""
    since = version.deprecated_since.date().isoformat() if version.deprecated_since else "?"
    sunset = version.sunset.date().isoformat() if version.sunset else "not set"
    return f"deprecated since {since}, sunset {sunset}"
