"""Publication outputs: engraved PDF, text/Markdown/HTML tab, MusicXML, songbooks.

One module per idea (``engrave``, ``pdf_layout``, ``musicxml_export``, ``text_export``,
``songbook``, ``safe_write``). Nothing heavy is imported here: reportlab, svglib,
verovio and music21 load only inside the functions that need them, so
``import harptab_nb`` stays fast.
"""
