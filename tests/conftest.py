import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import os

# Real environments (mmcv 1.7.2, mmcv 2.1.0 + the 3.x codebases) are built into the repository's
# git-ignored .cache/ unless the caller points MMMIGRATE_CACHE elsewhere.
os.environ.setdefault("MMMIGRATE_CACHE", str(Path(__file__).resolve().parent.parent / ".cache"))
