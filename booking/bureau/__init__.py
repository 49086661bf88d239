"""The bureau above the offices (docs/contract.md, "The bureau"): a region's offices, their
daily reports rolled up with the supervisors' submissions, the live overview, and closures
across a region.

- regions.py      the regions below a region, and a region's offices
- rollup.py       the daily report of many offices and days, from a few grouped queries
- submissions.py  a supervisor's word on the day (incident, note)
- export.py       the roll-up as a table: CSV and xlsx, Chinese headings by default
- overview.py     the live view of a region's halls
- closures.py     one closure per office of a region (offices/closures.close_days each)
"""
