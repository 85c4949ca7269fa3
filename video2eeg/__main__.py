from video2eeg.cli import main

raise SystemExit(main())
