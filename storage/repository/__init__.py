"""The repository: every query the application makes, so handlers, jobs and the workflow never write SQL.

One class over one session (one transaction), put together from one module per aggregate.
"""

from storage.repository.ballots import BallotQueries, BallotTotals, ordered_items
from storage.repository.cycle import CycleQueries
from storage.repository.documents import DocumentQueries
from storage.repository.outbox import OutboxQueries
from storage.repository.people import PERSON_FIELDS, PeopleQueries, RosterOutcome
from storage.repository.records import RecordQueries


class Repository(PeopleQueries, CycleQueries, BallotQueries, DocumentQueries, OutboxQueries, RecordQueries):
    """Queries and writes over one session: people, the cycle, ballots, documents, outbox, the records."""


__all__ = ["PERSON_FIELDS", "BallotTotals", "Repository", "RosterOutcome", "ordered_items"]
