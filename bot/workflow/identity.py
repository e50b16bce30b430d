"""Who a Telegram user is now, from the records: a bound person, an admin, or a stranger."""

from __future__ import annotations

from bot.rules.domain import Role
from bot.rules.roles import Identity, PersonView
from storage.repository import Repository


async def load_identity(repo: Repository, telegram_user_id: int, bootstrap_admins: list[int]) -> Identity:
    """The identity a chat turn and a web request alike act as (the user id the server verified)."""
    person = await repo.person_bound_to(telegram_user_id)
    admin = telegram_user_id in bootstrap_admins or await repo.is_admin(telegram_user_id)
    if person is None:
        return Identity(telegram_user_id, None, admin)
    supervises = await repo.supervised_by(person.id)
    view = PersonView(person.id, person.name, person.role, person.section_id, person.active, supervises)
    heads = person.section_id if person.role is Role.SECTION_HEAD and person.active else None
    return Identity(telegram_user_id, view, admin, heads)
