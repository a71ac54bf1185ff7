"""Loading of usage files (CSV or JSON lines) into cost records, worker runs and runs.

The modules below the ``analytics ingest`` command: ``readers`` streams the
file row by row, ``mapping`` turns a source row into field values,
``values`` parses each value for its field type, ``pipeline`` checks, prices
and writes the rows in batches through the ports, and ``summary`` counts
what happened and keeps the rejected rows.
"""
