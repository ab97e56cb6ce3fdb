from callers.cli import main

raise SystemExit(main())
