"""The records: files in (roster, paper ballots) and out (forms, filing workbooks, annual report, charts)."""
