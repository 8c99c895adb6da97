"""``python webui.py [--host H] [--port P] [--auth user:password] [--home DIR]``: serve the studio."""

from studio.app import main

raise SystemExit(main())
