"""Spreadsheet imports and their fast path: batches written behind the reader, people
matched in bulk, SLA clocks worked out before the insert, the garbage collector held off."""
