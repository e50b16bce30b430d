"""Storage: SQLModel tables, sessions, the repository and the Alembic migrations."""
