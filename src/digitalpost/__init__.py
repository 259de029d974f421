"""digitalpost: a self-hostable Digital Post hub.

Pure packages (`core`, `protocols`, `blobstore`) hold the domain rules and wire formats; Django apps
own storage and every write; entry points (`api`, `inbox`, `cli`) stay thin.
"""

__version__ = "0.1.0"
