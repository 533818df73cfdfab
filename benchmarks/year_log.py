"""Building a log shaped like a year of the seed platform's load, at full speed.

The seed's platform submits about 32,000 records a day. Under the default seal policy
(1,000 records or 60 s) that load is sealed every 60 s: about 22 records per checkpoint, 1,440
checkpoints a day, one anchoring transaction a minute. `build_year_log` appends those
records minute by minute through `LogStore.append` (the store's real append path: leaves,
records, salts, record-id index, case links, tree nodes) with the simulated minute as the
acceptance time, and seals after each minute through `LogStore.seal` (seal leaf, case index,
checkpoint). What is left out, and why:

- agency signatures: the log is not bound to an anchor target, so records are unsigned;
  signature checking is not what these benchmarks measure (signed_ingest.py measures it);
- validation, canonicalization and commitment are done cheaply (`year_records`: the
  canonical bytes are written directly, one template), not through the ingest pipeline
  (ingest.py measures that); the bytes are valid canonical records, so the audit checks them
  as it checks any record;
- durability: run under `eatmydata` the synced batches are not synced (a year is 1,051,200
  synced writes); what is written is what the node writes.

Cases: collection cases of 8 records each; `ACTIVE_CASES` cases are open at any time and
their records interleave, so a case's 8 records span about 8 x ACTIVE_CASES records
(a few days) and every seal changes ~22 cases of a case index that grows to ~1.5 M cases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path

from evanchor.anchor.log.store import LogStore, PreparedRecord
from evanchor.anchor.protocol.commitment import commitment, record_id

RECORDS_PER_DAY = 32_000
SEAL_SECONDS = 60
ACTIVE_CASES = 20_000
RECORDS_PER_CASE = 8
START = datetime(2026, 1, 1, tzinfo=UTC)
AGENCY = "91350100M000100Y43"


def case_number(i: int) -> int:
    """The case of record `i`: ACTIVE_CASES cases open at once, each taking every
    ACTIVE_CASES-th record until it has RECORDS_PER_CASE."""
    block = ACTIVE_CASES * RECORDS_PER_CASE
    return (i // block) * ACTIVE_CASES + i % ACTIVE_CASES


def year_record(i: int, at: datetime) -> PreparedRecord:
    """Record `i` (a collection checkpoint) as the node would prepare it."""
    case = case_number(i)
    occurred = (at + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    canonical = (
        b'{"agency":"%s","case_id":"C-%08d","channel":"phone",'
        b'"debtor_ref":"dbt:%010x","event":"call","kind":"collection_checkpoint",'
        b'"occurred_at":"%s","operator_id":"op-%d"}'
        % (AGENCY.encode(), case, i, occurred.encode(), i % 97)
    )
    salt = sha256(b"year-salt" + i.to_bytes(8, "big")).digest()
    return PreparedRecord(
        record_id=record_id(canonical),
        canonical=canonical,
        salt=salt,
        commitment=commitment(salt, canonical),
        kind="collection_checkpoint",
        agency=AGENCY,
        case=f"collection/C-{case:08d}",
    )


def records_before(minute: int) -> int:
    """Records accepted in the first `minute` minutes at RECORDS_PER_DAY, spread evenly."""
    return minute * RECORDS_PER_DAY // (24 * 60)


def minute_of_record(i: int) -> int:
    """The minute in which record `i` is accepted (inverse of `records_before`)."""
    minutes = 24 * 60
    minute = i * minutes // RECORDS_PER_DAY
    while records_before(minute + 1) <= i:
        minute += 1
    while records_before(minute) > i:
        minute -= 1
    return minute


def build_year_log(
    path: Path,
    records: int,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Append `records` records minute by minute into the log at `path` (created, or
    resumed where a previous build stopped: it is a real log, so a build can be interrupted),
    sealing after every minute. `progress(done, total)` is called every simulated day.
    """
    with LogStore(path, create=True) as store:
        done = store.record_count
        minute = minute_of_record(done) if done else 0
        while done < records:
            end = min(records, records_before(minute + 1))
            at = START + timedelta(minutes=minute, seconds=SEAL_SECONDS - 1)
            if end > done:
                store.append([year_record(i, at) for i in range(done, end)], now=at)
                done = end
                store.seal(now=at + timedelta(seconds=1))
            minute += 1
            if progress is not None and minute % (24 * 60) == 0:
                progress(done, records)
