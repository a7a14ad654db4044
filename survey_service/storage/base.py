"""The storage interface. SQL lives only in the implementations next to this file."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import msgspec

from ..surveys.answers import Answers
from ..surveys.waves import Wave
from .limits import ClientLimits
from .publications import Publication
from .structs import AuditChain, AuditEntry, FieldworkDay, Kiosk, PaperEntry, Plan, User

__all__ = [
    "AuditChain",
    "AuditEntry",
    "ClientLimits",
    "DatabaseURLError",
    "FieldworkDay",
    "Kiosk",
    "NewResponse",
    "PaperEntry",
    "Plan",
    "Publication",
    "SchemaTooNewError",
    "Store",
    "StoreError",
    "StoreOpenError",
    "StoreUnavailable",
    "StoreUnreachable",
    "StoredResponse",
    "TokenState",
    "User",
    "WaveCodes",
]



class StoreUnavailable(Exception):
    """A submission could not be stored now (disk full, database locked too long, read-only):
    the respondent is asked to send the same form again, with every value kept."""


class NewResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A validated submission. It holds no IP address, user agent or cookie identifier, and
    no time finer than the day."""

    submission_key: str  # one-time key from the form: a double POST stores one response
    wave_id: str
    version: str
    organisation: str
    channel: str
    lang: str
    day: dt.date | None  # None for staff responses: no date finer than the wave
    answers: Answers
    codes: bytes = b""  # packed int32 codes of the scored items (surveys.coding)
    unit: str | None = None  # staff: the unit of the invitation token
    panel: bytes | None = None  # staff panel waves: keyed slow hash of a self-made code


class WaveCodes(msgspec.Struct, frozen=True):
    """A wave's responses for analysis: ``codes`` concatenates each response's packed int32
    vector (same length for the whole wave, as a wave has one form version); the lists give
    each response's organisation and channel in the same order."""

    codes: bytes
    count: int
    organisations: list[str] = []  # empty unless the groups were asked for
    channels: list[str] = []
    units: list[str | None] = []
    panels: list[bytes | None] = []
    days: list[str | None] = []  # ISO dates (None for staff responses), with the groups


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # random, so that row order follows nothing of submission order
    wave_id: str
    version: str
    organisation: str
    channel: str
    lang: str
    day: dt.date | None
    answers: Answers
    unit: str | None = None


class TokenState(msgspec.Struct, frozen=True):
    wave_id: str
    organisation: str
    unit: str
    used: bool


class StoreError(Exception):
    """A store cannot be opened or used as asked. The message is one line for an operator."""


class DatabaseURLError(StoreError):
    """The database URL is empty or names no engine this code has."""


class StoreOpenError(StoreError):
    """The database cannot be opened: a missing folder, a folder or another file in the
    place of the database, read-only files, or a file that is not a database."""


class StoreUnreachable(StoreOpenError):
    """The database server cannot be reached now (stopped, restarting, the network down): a
    server starts anyway, answers 503 and tries again until it returns."""


class SchemaTooNewError(StoreError):
    """The database holds migrations this code does not know: it was made by a newer version
    of the service, and writing to it with this one could damage it."""


class Store(Protocol):
    """Everything the rest of the code knows about storage. Every engine passes the same
    contract suite (``tests/contract/``)."""

    applied: list[int]  # the migrations the last open() applied

    async def open(self) -> None:
        """Connect and apply pending migrations. Raises :class:`StoreOpenError` (or
        :class:`SchemaTooNewError`) at once when the database cannot be used; nothing is
        left running then."""

    async def close(self) -> None:
        """Commit whatever submissions are queued, then disconnect."""

    async def migrate(self) -> list[int]:
        """Apply pending numbered migrations, once even when several processes start at
        the same time; return the numbers this call applied (empty when up to date).
        Refuses (:class:`SchemaTooNewError`) a database with a migration it does not know."""

    def client_limits(self) -> ClientLimits:
        """The counters of the limits per client that every process on this database shares
        (:mod:`.limits`), opened when first used; closing them is the caller's."""

    @property
    def commits(self) -> int:
        """How many write transactions carried queued submissions since :meth:`open`
        (concurrent submissions share one: group commit). For tests and the closing log."""

    async def save_form_version(self, survey_id: str, version: str, definition: bytes) -> None:
        """Keep a survey definition frozen under its content hash (no-op if already kept)."""

    async def form_version(self, version: str) -> bytes | None: ...

    async def save_structure(self, version: str, definition: bytes) -> None:
        """Keep the organisation structures a staff wave uses, frozen under their content
        hash (no-op if already kept)."""

    async def structure(self, version: str) -> bytes | None:
        """A frozen organisation structure by its hash, or None."""

    async def save_plan(self, plan: Plan) -> Plan:
        """Freeze a plan under its name once: the first one saved is kept for good, a later
        one under the same name changes nothing. Returns the plan kept."""

    async def plan(self, name: str) -> Plan | None:
        """A frozen plan by name, or None."""

    async def save_disclosure_plan(self, key: str, plan: bytes) -> None:
        """Keep (or replace) the disclosure plan stored under ``key`` (a wave id)."""

    async def disclosure_plan(self, key: str) -> bytes | None:
        """The disclosure plan stored under ``key``, or None."""

    async def cached_report(self, key: str) -> bytes | None:
        """A computed report kept under ``key`` (see :meth:`cache_report`), or None."""

    async def cache_report(self, key: str, waves: list[str], body: bytes) -> None:
        """Keep a computed report over the closed ``waves`` under ``key`` (replacing one
        kept under the same key)."""

    async def forget_cached_reports(self, wave: str) -> int:
        """Forget every kept report over ``wave``; how many were forgotten."""

    async def add_wave(self, wave: Wave) -> None: ...

    async def update_wave(self, wave: Wave) -> None: ...

    async def waves(self) -> list[Wave]: ...

    async def submit(self, response: NewResponse) -> None:
        """Store a response durably; return only once it is committed to disk. Raises
        :class:`StoreUnavailable` if it cannot be stored now.

        A second submission with the same ``submission_key`` is accepted and stores nothing.
        """

    async def import_responses(self, responses: list[NewResponse]) -> None:
        """Store many responses at once, all or nothing (demo data, paper batches); a
        ``submission_key`` already stored is skipped."""

    async def add_tokens(self, wave_id: str, organisation: str, unit: str,
                         hashes: list[bytes]) -> None:
        """Register invitation codes (by keyed hash only) for a unit."""

    async def token(self, code_hash: bytes) -> TokenState | None: ...

    async def revoke_token(self, code_hash: bytes) -> bool:
        """Mark a code used without a response (a lost slip); False if unknown or used."""

    async def token_counts(self, wave_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        """(organisation, unit) -> (issued, used) for a wave, codes purged included."""

    async def purge_text(self, wave_id: str, items: dict[str, list[str]], at: dt.datetime) -> int:
        """Retention: take the answers to ``items`` (form version -> its free-text items) out of
        every response of the wave and every paper entry waiting, in chunks of a bounded
        number of rows (one transaction each), then mark the wave's text purged at ``at``;
        return the responses changed. Stopped between chunks, each row is either whole or
        purged and the wave is not marked: a new call finishes it. Once it returns the old
        values are gone from the engine's live files (SQLite: pages and WAL; PostgreSQL: the
        tables, vacuumed)."""

    async def purge_codes(self, wave_id: str, at: dt.datetime) -> int:
        """Retention: replace the wave's invitation codes by their counts per (organisation,
        unit), which :meth:`token_counts` keeps giving, and mark its codes purged at ``at``, in
        one transaction; return the codes removed."""

    async def submit_sealed(self, code_hash: bytes, wave_id: str, sealed: bytes) -> bool:
        """Atomically mark the code used and keep the sealed answers; False (and nothing
        stored) if the code is unknown, used or of another wave, or the wave is closed.
        Raises :class:`StoreUnavailable` if it cannot be stored now."""

    async def pending_count(self, wave_id: str) -> int: ...

    async def mix_wave(
        self, wave_id: str, unseal: Callable[[bytes], NewResponse]
    ) -> int | None:
        """Move a closed wave's sealed answers into the responses in random order, all or
        nothing, in one transaction that also marks the wave mixed, then destroy the wave's
        sealed store: once it returns, nothing the store keeps (its files, their free space,
        its logs) shows the order in which the sealed answers arrived. Exactly once over every
        process: returns the number of responses mixed, or ``None`` if the wave was mixed
        already (by this or another process)."""

    async def ready(self) -> str | None:
        """``None`` when the store can take submissions now (reachable, writable, with room
        to write, its migrations current); otherwise one line saying why not. Cheap enough
        for a readiness probe every few seconds; it changes nothing."""

    async def check_key(self, fingerprint: bytes) -> bool:
        """Record the fingerprint of the secret key; False if the database holds codes or
        sealed answers made with a key of another fingerprint."""

    async def organisation_counts(self, wave_id: str) -> dict[str, int]:
        """Responses of a wave per organisation."""

    async def submitted(self, submission_key: str) -> bool:
        """Whether a response with this one-time key is stored already."""

    async def count_responses(self, wave_id: str | None = None) -> int: ...

    async def wave_versions(self, wave_id: str) -> list[str]:
        """The form versions a wave's responses were given on (sorted; empty if none), so
        that an export has a column for every question any of them asked."""

    async def responses(self, wave_id: str) -> list[StoredResponse]:
        """Every response of a wave, ordered by id (which follows nothing of their order)."""

    def stream_responses(
        self, wave_id: str, batch_size: int = 500
    ) -> AsyncIterator[list[StoredResponse]]:
        """The responses of a wave in batches of at most ``batch_size``, ordered by id, from
        one consistent snapshot, in constant memory (for exports). It reads apart from the
        writer: an export in progress delays neither submissions nor the duplicate check.
        Iterate it to the end or close it (``contextlib.aclosing``) to free its reader."""

    def stream_response_rows(
        self, wave_id: str, batch_size: int = 500
    ) -> AsyncIterator[list[Any]]:
        """:meth:`stream_responses` undecoded, for the wide export's speed: each response as
        ``(id as lower-case hex, wave_id, version, organisation, channel, lang, day as ISO
        text or None, answers as JSON bytes, unit)``, same order, batches and snapshot."""

    async def wave_codes(
        self, wave_id: str, organisation: str | None = None, groups: bool = False
    ) -> WaveCodes:
        """The packed codes of every response of a wave (of one organisation), for analysis;
        with ``groups`` also each response's organisation, channel, unit, panel hash and day."""

    # ---------------------------------------------------------------- accounts (0006)
    async def add_user(self, user: User) -> bool:
        """Create an account; False (and nothing changed) when the name is taken."""

    async def update_user(self, user: User) -> None:
        """Replace the stored account of ``user.name``."""

    async def user(self, name: str) -> User | None: ...

    async def users(self) -> list[User]:
        """Every account, by name."""

    async def user_by_key(self, key_hash: bytes) -> User | None:
        """The account whose API key has this SHA-256 hash."""

    async def session_get(self, key: bytes, renew_until: float | None = None) -> bytes | None:
        """A session's data if it has not expired (``key`` is a hash of the cookie's id);
        with ``renew_until`` (seconds since the epoch) its expiry moves to that time."""

    async def session_set(self, key: bytes, data: bytes, expires: float) -> None:
        """Keep a session until ``expires`` (seconds since the epoch); drops expired ones."""

    async def session_delete(self, key: bytes | None) -> None:
        """End one session, or every session when ``key`` is None."""

    async def append_audit(
        self, at: str, actor: str, action: str, detail: str, chain: AuditChain
    ) -> AuditEntry:
        """Append an entry: in one transaction, read the last entry's hash and number, and
        store the new entry with ``chain(prev, seq, at, actor, action, detail)`` as its hash."""

    async def audit_entries(self, limit: int | None = None) -> list[AuditEntry]:
        """The audit log by number (the last ``limit`` entries when given, newest first)."""

    async def submit_paper(self, response: NewResponse, number: str) -> bool:
        """Store a paper questionnaire typed in with its number, durably; False (nothing
        stored) when that number is already stored for the wave."""

    async def paper_number_used(self, wave_id: str, number: str) -> bool:
        """Whether a paper questionnaire with this number is stored for the wave."""

    async def add_paper_entry(self, entry: PaperEntry) -> bool:
        """Keep one clerk's entry of a questionnaire; False if that clerk has one already."""

    async def paper_entries(self, wave_id: str | None = None, number: str | None = None
                            ) -> list[PaperEntry]:
        """Entries waiting (of a wave, of one number), by wave, number and clerk."""

    async def delete_paper_entries(self, wave_id: str, number: str) -> None:
        """Forget the entries of a questionnaire (once it is stored or resolved)."""

    async def response_days(self, wave_id: str) -> dict[tuple[str, dt.date | None], int]:
        """Responses of a wave per (organisation, day); staff responses have no day."""

    async def add_kiosk(self, kiosk: Kiosk, link_hash: bytes) -> bool:
        """Register a kiosk and the hash of its one-time enrolment link; False (nothing
        stored) if a kiosk in use already has this label."""

    async def kiosks(self) -> list[Kiosk]:
        """Every kiosk, revoked ones included, by label."""

    async def kiosk_link(self, link_hash: bytes) -> Kiosk | None:
        """The kiosk an enrolment link belongs to (whatever its state), or None."""

    async def enrol_kiosk(self, link_hash: bytes, at: dt.datetime) -> Kiosk | None:
        """Spend an enrolment link, atomically: the kiosk if the link was unused, unexpired at
        ``at`` and its kiosk not revoked; otherwise None (and nothing changes)."""

    async def revoke_kiosk(self, label: str) -> bool:
        """Revoke the kiosk in use with this label; False if there is none."""

    async def save_fieldwork(self, days: list[FieldworkDay]) -> None:
        """Record fieldwork days, all or nothing. A day already recorded (same wave,
        organisation and day) keeps each count the new record leaves ``None`` and takes the
        others (a queue import of visitors keeps the forms a clerk typed in)."""

    async def fieldwork(self, wave_id: str) -> list[FieldworkDay]:
        """The fieldwork days of a wave, by organisation and day."""
    async def publish(self, publication: Publication) -> None:
        """Put a wave on the public results page (again: the new time and actor)."""

    async def unpublish(self, wave_id: str) -> bool:
        """Take a wave off the public results page; False if it was not on it."""

    async def publications(self) -> dict[str, Publication]:
        """The waves on the public results page, by wave id."""
