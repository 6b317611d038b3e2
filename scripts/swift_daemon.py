"""One of Swift's background daemons for the local all-in-one, run with the Swift
virtualenv's python (scripts/stack.sh's 'swift-updater' and 'swift-expirer' services):

    .venv-swift/bin/python scripts/swift_daemon.py container-updater <etc>/container-server.conf -v
    .venv-swift/bin/python scripts/swift_daemon.py object-expirer <etc>/object-expirer.conf -v

s3api deletes a multipart object with async=on: SLO checks the caller's rights,
deletes the manifest and queues the parts in the `.expiring_objects` account, and the
object expirer deletes them. The expirer finds the queue's containers in that account's
listing, which the container updater keeps. Without both, every deleted image and backup
left its parts behind.

The servers read swift.conf from their config's swift_dir (run_wsgi sets it); a daemon
reads only /etc/swift, which this stack never writes, so the directory is set here
first, from the config's own, before Swift's entry point runs."""
import importlib
import sys
from pathlib import Path

from swift.common.utils import set_swift_dir

DAEMONS = {"container-updater": "swift.container.updater", "object-expirer": "swift.obj.expirer"}

if __name__ == "__main__":
    daemon, conf = sys.argv[1], sys.argv[2]
    set_swift_dir(str(Path(conf).resolve().parent))
    sys.argv = [f"swift-{daemon}", *sys.argv[2:]]
    sys.exit(importlib.import_module(DAEMONS[daemon]).main())
