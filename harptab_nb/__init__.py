"""harptab_nb: sheet music to harmonica tablature, step by step."""
__version__ = "0.1.0"
