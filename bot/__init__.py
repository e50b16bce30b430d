"""The assessment bot: configuration, the assessment rules, the calendar, rendering and wiring."""
