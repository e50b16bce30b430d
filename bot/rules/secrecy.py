"""Which of a ratee's new peer ballots a computation may count without giving one of them back (SPEC 4)."""

from __future__ import annotations

from collections.abc import Sequence


def admitted_peer_ballots(chat: Sequence[int], paper: Sequence[int], minimum: int) -> list[int]:
    """The ballots, of a ratee's pending peer ballots, that the next computation counts.

    Any two results shown must differ by no peer ballot or by at least `minimum`, so new ballots are
    counted together and only when they are at least `minimum`. Paper ballots are typed in by the
    admins, who know them: a batch of one chat ballot and two paper ones would give the chat one back
    to them. So the chat ballots of a batch are themselves none or at least `minimum`.
    """
    secret = list(chat) if len(chat) >= minimum else []
    batch = sorted([*secret, *paper])
    return batch if len(batch) >= minimum else []
