"""Exporters: each is a table of rows (pretix's ``rows()`` shape); one writer per format
turns any table into a file, so a new format is a few lines and a new export never writes
CSV by hand."""
