"""Private file modes for everything that may hold patient data: the warehouse, serving copies, logs, reports.

The warehouse and its serving copies hold pseudonymised but still personal data (health data under GDPR
Art. 9), the quarantine holds masked source rows, the dbt log may quote SQL with values, and the audit report
lists pseudonymous patients. They were created world-readable (0644) with the usual umask 022. Like the users
file and the pseudonymisation secret, they are now the owner's alone: files 0600, folders 0700.

Two halves, because DuckDB and dbt create files themselves (the WAL, spill files, dbt.log) at moments we do not
control: `private_umask` tightens the process's umask once (every file created afterwards is 0600), and
`make_private` fixes the mode of files that already existed (a warehouse or log from an older version).
The dashboards read the serving copy as the same user (`backoffice serve`); to serve them as another user,
give both a group and loosen the umask yourself.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """From now on this process creates files without group or other permissions (keeps any stricter bits)."""
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)


def make_private(*paths: Path) -> None:
    """chmod 0600 the files among `paths` that exist and are ours (others' files are left for their owner)."""
    for path in paths:
        try:
            if path.is_file() and path.stat().st_uid == os.getuid():
                os.chmod(path, PRIVATE_FILE)
        except OSError:
            continue
