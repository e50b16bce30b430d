"""The cycle's steps as plain functions over a unit of work, for chat, the scheduler and any front end."""
